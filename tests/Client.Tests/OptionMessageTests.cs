namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// Every option of every <c>unetpp</c> command given a value it cannot take (text for a number, a
/// negative count, an unknown word): one line that names the option and the value and says what it
/// takes, in the user's words, never a .NET type or parameter name; and a mistyped option or command
/// is answered with the nearest real one.
/// </summary>
public sealed class OptionMessageTests : IDisposable
{
    /// <summary>Stands for an empty folder of images, so that the checks after the input's are reached.</summary>
    private const string Images = "{images}";

    private static readonly string[] Segment = ["segment", Images, "--out", "out"];
    private static readonly string[] Submit = ["submit", Images, "--out", "out"];
    private static readonly string[] ModelBuild = ["model", "build", "--out", Path.Combine(Path.GetTempPath(), "unetpp-never-written.onnx")];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string[], string, string> BadValues()
    {
        var rows = new TheoryData<string[], string, string>();
        void Add(string[] command, string option, string value) => rows.Add([.. command, option, value], option, value);

        foreach (var job in new[] { Segment, Submit })
        {
            foreach (var (option, values) in new (string, string[])[]
            {
                ("--tile", ["abc", "-16", "100"]),
                ("--overlap", ["abc", "2", "-0.5"]),
                ("--batch", ["abc", "0"]),
                ("--max-pixels", ["abc", "-1"]),
                ("--shard-size", ["abc", "0"]),
                ("--region-pixels", ["abc", "0"]),
                ("--region-size", ["abc", "-1"]),
                ("--max-attempts", ["abc", "0"]),
                ("--mask-format", ["jpeg"]),
                ("--mode", ["L5"]),
                ("--normalize", ["minmax", "percentile:99,1", "percentile:a,b"]),
                ("--channels", ["0,,1", ","]),
                ("--pages", ["some", "3-1"]),
            })
            {
                foreach (var value in values)
                {
                    Add(job, option, value);
                }
            }
        }

        foreach (var value in new[] { "urgent", "11", "-11", "1.5" })
        {
            Add(Submit, "--priority", value);
        }

        Add(Segment, "--device", "gpu");
        Add(Segment, "--threads", "abc");
        Add(Segment, "--threads", "-2");
        foreach (var cluster in new[] { ["status", "job-1"], ["watch", "job-1"], ["cancel", "job-1"], ["list"], ["cluster"], Submit })
        {
            Add(cluster, "--connect-timeout", "abc");
            Add(cluster, "--connect-timeout", "-1");
            Add(cluster, "--gateway", "nohost");
        }

        Add(ModelBuild, "--in-channels", "abc");
        Add(ModelBuild, "--in-channels", "0");
        Add(ModelBuild, "--classes", "-1");
        Add(ModelBuild, "--seed", "abc");
        Add(ModelBuild, "--tile-size", "100");
        Add(ModelBuild, "--tile-size", "abc");
        Add(ModelBuild, "--threshold", "2");
        Add(ModelBuild, "--threshold", "abc");
        Add(ModelBuild, "--precision", "fp8");
        Add(ModelBuild, "--filters", "1,2");
        Add(["model", "info", "model.onnx"], "--size", "abc");
        Add(["model", "info", "model.onnx"], "--size", "8");
        foreach (var (option, value) in new[] { ("--count", "abc"), ("--count", "0"), ("--width", "-5"), ("--width", "0"), ("--height", "abc"), ("--height", "-5"), ("--seed", "abc") })
        {
            Add(["nuclei", "--out", "nuclei-never-written"], option, value);
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task ABadValueIsNamedWithWhatTheOptionTakes(string[] args, string option, string value)
    {
        var images = Directory.CreateDirectory(_temp.File("images")).FullName;
        var result = await CliRunner.RunAsync([.. args.Select(a => a == Images ? images : a)]);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        var line = result.Error.Split('\n')[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
        Assert.Contains(value, line, StringComparison.Ordinal);
        foreach (var machineWord in new[] { "System.", "`1", "(Parameter", "Exception", "Int32", "Double" })
        {
            Assert.DoesNotContain(machineWord, result.Error, StringComparison.Ordinal);
        }

        // More than the option and value: the reason, or what it takes; and the option and value said once.
        Assert.True(line.Length > $"error: {option} {value}: ".Length + 10, line);
        Assert.Equal(line.IndexOf($"{option} {value}", StringComparison.Ordinal), line.LastIndexOf($"{option} {value}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("urgent")]
    [InlineData("11")]
    [InlineData("-11")]
    public async Task APriorityItCannotTakeIsRefusedSayingWhatItTakes(string value)
    {
        var images = Directory.CreateDirectory(_temp.File("images")).FullName;

        var result = await CliRunner.RunAsync("submit", images, "--out", "out", "--priority", value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Equal($"error: --priority {value}: use low, normal, high or a whole number from -10 to 10.", result.Error.Split('\n')[0]);
    }

    [Fact]
    public async Task SegmentTakesNoPriorityItsOneJobRunsAlone()
    {
        var result = await CliRunner.RunAsync("segment", "images", "--out", "out", "--priority", "high");
        var help = await CliRunner.RunAsync("segment", "--help");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("unknown option '--priority' for 'unetpp segment'", result.Error, StringComparison.Ordinal);
        Assert.Contains("--priority is for submit", help.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("did you mean --overlays?", "segment", "images", "--out", "out", "--overlay")]
    [InlineData("did you mean --tile?", "segment", "images", "--out", "out", "--tiles", "64")]
    [InlineData("did you mean segment?", "segmnt", "images", "--out", "out")]
    [InlineData("did you mean build?", "model", "biuld", "--out", "m.onnx")]
    [InlineData("did you mean --cluster-id?", "list", "--cluster-di", "lab")]
    public async Task AMistypedNameSuggestsTheNearestOne(string suggestion, params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains(suggestion, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWordNearNothingIsNamedWithoutAGuess()
    {
        var result = await CliRunner.RunAsync("segment", "images", "--out", "out", "--zzzzzz");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("unknown option '--zzzzzz' for 'unetpp segment'.", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", result.Error, StringComparison.Ordinal);
    }
}
