using Microsoft.Extensions.Configuration;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Client.Tests;

/// <summary><c>unetpp api-key new</c>: a key shown once, and the silo settings that accept exactly it, with its rights.</summary>
public sealed class ApiKeyCommandTests
{
    [Fact]
    public async Task ANewKeyIsPrintedWithTheSettingsThatGiveItItsRights()
    {
        var result = await CliRunner.RunAsync("api-key", "new", "--name", "lab-notebook", "--rights", "cancel,read");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var key = lines[1];
        var settings = lines.Where(l => l.StartsWith("Api__", StringComparison.Ordinal)).ToList();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", key);
        Assert.Equal([$"Api__Keys__lab-notebook__Hash={ApiKey.Hash(key)}", "Api__Keys__lab-notebook__Rights=read,cancel"], settings);
        Assert.Single(lines, l => l.Contains(key, StringComparison.Ordinal));

        // The lines as the silo reads them from its environment: this key, and no other, with these rights.
        var silo = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(l => l.Split('=', 2)).Select(p => new KeyValuePair<string, string?>(p[0].Replace("__", ":", StringComparison.Ordinal), p[1])))
            .Build();
        var api = ApiSettings.From(silo);
        Assert.Empty(api.Problems(HttpAddresses.From(silo)));
        var notebook = Assert.Single(api.Keys.Values);
        Assert.True(notebook.Matches(ApiKey.HashBytes(key)));
        Assert.Equal([ApiRight.Read, ApiRight.Cancel], notebook.Rights.Order());
    }

    [Fact]
    public async Task EachNewKeyIsAnotherOne()
    {
        var first = await CliRunner.RunAsync("api-key", "new", "--name", "a", "--rights", "read");
        var second = await CliRunner.RunAsync("api-key", "new", "--name", "a", "--rights", "read");

        Assert.NotEqual(first.Output.Split('\n')[1], second.Output.Split('\n')[1]);
    }

    [Theory]
    [InlineData("note book", "read", "error: --name 'note book' cannot name an API key: use up to 64 letters, digits, '-' and '_' (no '__').")]
    [InlineData("a__b", "read", "error: --name 'a__b' cannot name an API key")]
    [InlineData("notebook", "read,write", "error: --rights 'read,write': name what the key may do, any of submit,read,cancel, separated by commas.")]
    [InlineData("notebook", ",", "error: --rights ',': name what the key may do")]
    public async Task ABadNameOrRightIsAUsageErrorAndNoKeyIsMade(string name, string rights, string expected)
    {
        var result = await CliRunner.RunAsync("api-key", "new", "--name", name, "--rights", rights);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.StartsWith(expected, result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }
}
