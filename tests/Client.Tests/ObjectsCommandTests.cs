using System.Text.Json;
using NetVips;
using Parquet;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// A lab's object run from the command line: crowded synthetic fields with their instance labels,
/// segmented with the built-in model into label images, the object table and QuPath GeoJSON, once
/// whole and once with every image cut into bands by the embedded silo.
/// </summary>
public sealed class ObjectsCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ObjectsComeOutWithTablesGeoJsonAndScoresAndTheSameBytesWhenCutIntoBands()
    {
        var data = _temp.File("fields");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("nuclei", "--out", data, "--count", "2", "--width", "256", "--height", "192", "--seed", "9", "--crowded")).ExitCode);
        var whole = _temp.File("whole");
        var cut = _temp.File("cut");
        string[] objects = ["--labels", Path.Combine(data, "labels"), "--instances", "--objects", "--geojson"];

        var run = await CliRunner.RunAsync(["segment", Path.Combine(data, "images"), "--out", whole, .. objects]);
        var banded = await CliRunner.RunAsync(["segment", Path.Combine(data, "images"), "--out", cut, "--region-pixels", "10000", "--region-size", "64", .. objects]);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Output + run.Error);
        Assert.True(banded.ExitCode == ExitCodes.Success, banded.Output + banded.Error);
        Assert.Contains("Objects against instance labels (2 image(s)): F1 ", run.Output, StringComparison.Ordinal);
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(whole, JobReport.FileName)));
        Assert.All(report.Images, image => Assert.Equal(LabelsKind.InstanceLabels, image.Labels));
        Assert.True(report.Instances is { F1: > 0.8, Dsb: > 0.55 }, JsonSerializer.Serialize(report.Instances));

        // Every file an image gets is the same whether it was segmented whole or stitched from bands of 64 rows.
        string[] results = ["instances/nuclei-000.png", "instances/nuclei-001.png", "objects/nuclei-000.parquet", "geojson/nuclei-000.geojson", "geojson/nuclei-001.geojson", "objects.csv", "objects.parquet"];
        foreach (var name in results)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(whole, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cut, name))), $"{name} differs when cut into bands");
        }

        var cutReport = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(cut, JobReport.FileName)));
        Assert.True(cutReport.Images.All(i => i.Tiles > 0) && cutReport.Instances == report.Instances, JsonSerializer.Serialize(cutReport.Instances));

        // The label image's ids are 1…N, N the objects the report counts and the table lists.
        var counts = report.Images.ToDictionary(i => i.Name, i => i.Classes.Single().ObjectCount);
        using (var labels = Image.NewFromFile(Path.Combine(whole, "instances/nuclei-000.png")))
        {
            Assert.Equal(Enums.BandFormat.Ushort, labels.Format);
            Assert.Equal(counts["nuclei-000.png"], (int)labels.Max());
        }

        var rows = (await File.ReadAllLinesAsync(Path.Combine(whole, "objects.csv"))).Skip(1).ToList();
        Assert.Equal(counts.Values.Sum(), rows.Count);
        Assert.Equal(counts["nuclei-001.png"], rows.Count(r => r.StartsWith("nuclei-001.png,", StringComparison.Ordinal)));
        await using (var parquet = await ParquetReader.CreateAsync(Path.Combine(whole, "objects.parquet")))
        {
            Assert.Equal(counts.Values.Sum(), Enumerable.Range(0, parquet.RowGroupCount).Sum(g => parquet.OpenRowGroupReader(g).RowCount));
        }

        using var geoJson = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(whole, "geojson/nuclei-001.geojson")));
        var features = geoJson.RootElement.GetProperty("features");
        Assert.Equal(counts["nuclei-001.png"], features.GetArrayLength());
        Assert.All(features.EnumerateArray(), f => Assert.Equal("detection", f.GetProperty("properties").GetProperty("objectType").GetString()));
    }

    [Fact]
    public async Task AResumedObjectRunSkipsDoneImagesAndStillWritesTheWholeTable()
    {
        var data = _temp.File("fields");
        await CliRunner.RunAsync("nuclei", "--out", data, "--count", "2", "--width", "128", "--height", "128", "--seed", "4", "--crowded");
        var output = _temp.File("out");
        var first = await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", output, "--objects");
        var table = await File.ReadAllBytesAsync(Path.Combine(output, "objects.csv"));

        var again = await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", output, "--objects", "--resume");
        var withLabels = await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", output, "--objects", "--instances", "--resume");

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Contains("2 skipped as done and current", again.Output, StringComparison.Ordinal);
        Assert.Equal(table, await File.ReadAllBytesAsync(Path.Combine(output, "objects.csv")));

        // Asking for label images too makes the earlier outputs out of date: both images are done again.
        Assert.Contains("0 skipped as done and current, 2 redone", withLabels.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "instances", "nuclei-001.png")));
        Assert.Equal(table, await File.ReadAllBytesAsync(Path.Combine(output, "objects.csv")));
    }

    [Fact]
    public async Task AMinimumObjectSizeWithoutObjectsIsRefusedNamingTheOptions()
    {
        var result = await CliRunner.RunAsync("segment", _temp.Path, "--out", _temp.File("out"), "--min-object-size", "30");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--min-object-size: it applies to objects; give --instances, --objects or --geojson with it.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpecksUnderTheMinimumSizeAreLeftOutOfLabelsCountsAndTables()
    {
        var data = _temp.File("fields");
        await CliRunner.RunAsync("nuclei", "--out", data, "--count", "1", "--width", "128", "--height", "128", "--seed", "4");
        var all = _temp.File("all");
        var large = _temp.File("large");

        await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", all, "--objects", "--min-object-size", "0");
        await CliRunner.RunAsync("segment", Path.Combine(data, "images"), "--out", large, "--objects", "--min-object-size", "150");

        var areas = (string folder) => File.ReadAllLines(Path.Combine(folder, "objects.csv")).Skip(1).Select(r => int.Parse(r.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Contains(areas(all), a => a < 150);
        Assert.NotEmpty(areas(large));
        Assert.All(areas(large), a => Assert.True(a >= 150, $"an object of {a} px"));
        var report = JobReport.FromJson(await File.ReadAllTextAsync(Path.Combine(large, JobReport.FileName)));
        Assert.Equal(areas(large).Count, report.Images.Single().Classes.Single().ObjectCount);
    }
}
