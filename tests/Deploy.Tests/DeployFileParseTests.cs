using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>Every YAML and JSON file under deploy/ is well formed.</summary>
public sealed class DeployFileParseTests
{
    public static TheoryData<string> YamlFiles() => [.. Repo.FilesUnder("deploy", ".yml", ".yaml")];

    public static TheoryData<string> JsonFiles() => [.. Repo.FilesUnder("deploy", ".json")];

    [Theory]
    [MemberData(nameof(YamlFiles))]
    public void AYamlFileParses(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(Repo.Read(file));
        stream.Load(reader);

        Assert.NotEmpty(stream.Documents);
        Assert.All(stream.Documents, d => Assert.IsType<YamlMappingNode>(d.RootNode));
    }

    [Theory]
    [MemberData(nameof(JsonFiles))]
    public void AJsonFileParses(string file)
    {
        using var document = JsonDocument.Parse(Repo.Read(file));

        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Fact]
    public void TheDeployFolderHasTheFilesTheseTestsCheck()
    {
        var yaml = Repo.FilesUnder("deploy", ".yml", ".yaml");

        Assert.Contains("deploy/docker-compose.yml", yaml);
        Assert.Contains("deploy/prometheus/prometheus.yml", yaml);
        Assert.Contains("deploy/kubernetes/base/silo-deployment.yaml", yaml);
        Assert.Contains("deploy/grafana/dashboards/unetpp-cluster.json", Repo.FilesUnder("deploy", ".json"));
    }
}
