using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>What deploy/README.md and the deployment files tell an operator to type or set is what the code takes.</summary>
public sealed partial class DocumentedCommandsTests
{
    private const string Readme = "deploy/README.md";

    [Fact]
    public void EveryClientCommandInTheReadmeUsesTheClientsOptions()
    {
        var invocations = ClientInvocations(Repo.Read(Readme)).ToList();

        Assert.True(invocations.Count >= 8, $"found only {invocations.Count} client commands in {Readme}");
        Assert.All(invocations, words =>
        {
            Assert.Contains(words[0], ClientCommandLine.Commands);
            Assert.Empty(ClientCommandLine.UnknownOptions(words));
        });
    }

    [Fact]
    public void AnUnknownOptionIsFound()
    {
        var words = Assert.Single(ClientInvocations("`unetpp submit a --out b --gatway silo1:30000`"));

        Assert.Equal(["--gatway"], ClientCommandLine.UnknownOptions(words));
    }

    [Fact]
    public void EverySettingTheReadmeNamesIsOneTheSiloReads()
    {
        var settings = Setting().Matches(Repo.Read(Readme)).Select(m => m.Value).Distinct().ToList();

        Assert.Contains("Cluster:AdvertisedAddress", settings);
        Assert.Contains("Inference:ShutdownGrace", settings);
        Assert.Empty(settings.Select(SettingNames.Problem).OfType<string>());
    }

    [Fact]
    public void EverySettingTheDeploymentFilesSetIsOneTheSiloReads()
    {
        var files = new[] { Compose.File, "deploy/docker/Dockerfile" }.Concat(KubernetesManifests.Files).Append("deploy/kubernetes/cpu/kustomization.yaml");
        var settings = files.SelectMany(f => Setting().Matches(Repo.Read(f)).Select(m => m.Value)).Distinct().ToList();

        Assert.Contains("Cluster__StorageConnection", settings);
        Assert.Contains("Inference__Devices", settings);
        Assert.Empty(settings.Select(SettingNames.Problem).OfType<string>());
    }

    [Fact]
    public void AMisspeltSettingIsFound()
    {
        Assert.NotNull(SettingNames.Problem("Cluster__AdvertiseAddress"));
        Assert.NotNull(SettingNames.Problem("Inference:ShutdownGrase"));
        Assert.NotNull(SettingNames.Problem("Api__Key__notebook__Hash"));
        Assert.Null(SettingNames.Problem("Storage:BlobConnection"));
    }

    /// <summary>
    /// The arguments of every client command in a text's code: after <c>unetpp</c> followed by one of
    /// its commands, and after <c>run … submit</c> (the compose service whose program is unetpp).
    /// </summary>
    private static IEnumerable<IReadOnlyList<string>> ClientInvocations(string markdown)
    {
        // Inline code may wrap over lines of the paragraph; a block's lines are commands of their own.
        var code = string.Join('\n', CodeSpan().Matches(markdown).Select(m => m.Groups["block"].Success ? m.Groups["block"].Value : m.Groups["inline"].Value.ReplaceLineEndings(" ")));
        foreach (Match match in Invocation().Matches(code))
        {
            var words = match.Groups["arguments"].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
            if (words.Count > 0 && (match.Groups["service"].Success || ClientCommandLine.Commands.Contains(words[0])))
            {
                yield return words;
            }
        }
    }

    // Fenced blocks first, so their backticks are not read as inline code.
    [GeneratedRegex(@"```[a-z]*\n(?<block>.*?)```|`(?<inline>[^`]+)`", RegexOptions.Singleline)]
    private static partial Regex CodeSpan();

    // A line continued with '\' is one command; a pipe, '&&', ';', a comment or a new line ends it.
    [GeneratedRegex(@"(?:\bunetpp|run --rm(?: --no-deps)? (?<service>submit))[ \t]+(?<arguments>(?:[^\n|&;#\\]|\\\n)*)")]
    private static partial Regex Invocation();

    [GeneratedRegex(@"\b(?:Cluster|Inference|Storage|Dashboard|Api)(?::|__)[A-Z][A-Za-z]*")]
    private static partial Regex Setting();
}
