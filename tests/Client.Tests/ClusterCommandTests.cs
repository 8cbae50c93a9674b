using System.Diagnostics;
using System.Text.Json;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp cluster</c>, and what every cluster command says when the cluster or the job is not there.</summary>
[Collection(SharedClusterSilo.Name)]
public sealed class ClusterCommandTests(ClusterSiloFixture silo)
{
    [Fact]
    public async Task ClusterShowsTheSilosOneCpuWorker()
    {
        // Workers report every two seconds; a silo that has just started may not have yet.
        var deadline = Stopwatch.StartNew();
        CliResult result;
        do
        {
            result = await CliRunner.RunAsync(["cluster", "--json", .. silo.Cluster]);
            Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
            if (JsonDocument.Parse(result.Output).RootElement.GetArrayLength() > 0)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (deadline.Elapsed < TimeSpan.FromSeconds(15));

        using var document = JsonDocument.Parse(result.Output);
        var worker = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("cpu", worker.GetProperty("device").GetString());
        Assert.True(worker.GetProperty("answering").GetBoolean());
        Assert.True(worker.GetProperty("updatedSecondsAgo").GetDouble() >= 0);

        var human = await CliRunner.RunAsync(["cluster", .. silo.Cluster]);
        Assert.Equal(ExitCodes.Success, human.ExitCode);
        Assert.Contains("1 worker(s) on 1 silo(s).", human.Output, StringComparison.Ordinal);
        Assert.Contains(" cpu ", human.Output, StringComparison.Ordinal);
        Assert.Matches(@" \d+ s ago\n", human.Output.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("watch")]
    [InlineData("cancel")]
    public async Task AnUnknownJobIsAUsageError(string command)
    {
        var result = await CliRunner.RunAsync([command, "no-such-job", .. silo.Cluster]);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains($"no job 'no-such-job' in cluster '{ClusterSiloFixture.ClusterId}'", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("cluster")]
    [InlineData("status", "some-job")]
    public async Task NoSiloAtTheGatewayIsOneMessageNamingIt(params string[] command)
    {
        var gateway = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        var clock = Stopwatch.StartNew();

        var result = await CliRunner.RunAsync([.. command, "--gateway", gateway, "--connect-timeout", "1"]);

        Assert.True(result.ExitCode == ExitCodes.UsageError, result.Error);
        Assert.Contains($"cannot reach cluster 'unetpp' at gateway {gateway}", result.Error, StringComparison.Ordinal);
        Assert.True(result.Error.Contains("refused", StringComparison.OrdinalIgnoreCase), result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("--gateway", "localhost", "--gateway localhost: use host:port")]
    [InlineData("--gateway", "127.0.0.1:99999", "--gateway 127.0.0.1:99999: use host:port")]
    [InlineData("--cluster-id", " ", "--cluster-id must not be empty")]
    [InlineData("--connect-timeout", "0", "--connect-timeout 0: use a number of seconds above 0")]
    [InlineData("--cluster-storage", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net", "--cluster-storage: the value holds a secret")]
    [InlineData("--cluster-storage", "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=abc", "set $UNETPP_CLUSTER_STORAGE instead")]
    [InlineData("--tls-certificate", "/no/such/client.pfx", "--tls-certificate and --tls-authority go together")]
    public async Task ABadClusterOptionIsNamed(string option, string value, string expected)
    {
        var result = await CliRunner.RunAsync("list", option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }
}
