using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>
/// Every option of <c>unetpp-train</c> given a value it cannot take: one line that names the option and
/// the value and says what it takes, never a .NET type or parameter name; nothing is trained or written.
/// </summary>
public sealed class TrainOptionMessageTests : IDisposable
{
    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--epochs", "abc")]
    [InlineData("--epochs", "0")]
    [InlineData("--size", "abc")]
    [InlineData("--size", "-32")]
    [InlineData("--batch", "abc")]
    [InlineData("--batch", "0")]
    [InlineData("--crops", "abc")]
    [InlineData("--crops", "0")]
    [InlineData("--lr", "abc")]
    [InlineData("--lr", "-1")]
    [InlineData("--validation", "abc")]
    [InlineData("--validation", "1.5")]
    [InlineData("--seed", "abc")]
    [InlineData("--threads", "abc")]
    [InlineData("--threads", "-1")]
    [InlineData("--tile-size", "abc")]
    [InlineData("--tile-size", "100")]
    [InlineData("--filters", "4,8")]
    [InlineData("--normalize", "median")]
    public async Task ABadValueIsNamedWithWhatTheOptionTakes(string option, string value)
    {
        var data = Path.Combine(_folder, "data");
        var run = Path.Combine(_folder, "run");
        SyntheticNuclei.Write(data, count: 2, width: 32, height: 32, seed: 1);

        var result = await TrainCliRunner.RunAsync("--data", data, "--out", run, option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        var line = result.Error.Split('\n')[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
        Assert.Contains(value, line, StringComparison.Ordinal);
        Assert.True(line.Length > $"error: {option} {value}: ".Length + 10, line);
        foreach (var machineWord in new[] { "System.", "`1", "(Parameter", "Exception", "Int32", "Double" })
        {
            Assert.DoesNotContain(machineWord, result.Error, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task AMistypedOptionSuggestsTheNearestOne()
    {
        var result = await TrainCliRunner.RunAsync("--data", _folder, "--out", Path.Combine(_folder, "run"), "--epoch", "3");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("unknown option '--epoch' for 'unetpp-train'; did you mean --epochs?", result.Error, StringComparison.Ordinal);
    }
}
