using System.Text.RegularExpressions;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Reporting;

namespace UNetPP.Cluster.Reporting.Tests;

/// <summary>The report page made from reports written by hand: no files, no cluster.</summary>
public sealed partial class ReportPageTests
{
    private const string Hostile = "<script>alert(\"x\")</script> & 'q'.png";

    private static ImageReport Image(string name, double fraction = 0.2, int objects = 3, double? iou = null, int cls = 1) =>
        new(name, $"masks/{name}", 64, 48, 1, [Class(cls, fraction, objects, iou)], 0.1);

    private static ClassSummary Class(int cls, double fraction, int objects, double? iou = null) =>
        new() { Class = cls, ForegroundFraction = fraction, ObjectCount = objects, IoU = iou, Dice = iou is { } v ? 2 * v / (1 + v) : null };

    private static JobReport Report(
        IReadOnlyList<ImageReport> images,
        IReadOnlyList<ImageFailure>? failures = null,
        IReadOnlyDictionary<string, int>? silos = null,
        string input = "data/in") => new(
            "job-1",
            failures is { Count: > 0 } ? JobState.CompletedWithFailures : JobState.Completed,
            input,
            "data/out",
            new ReportModel("models/m.onnx", "L4", 64, 0.25, 4, Tta: false),
            new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2025, 5, 1, 10, 0, 12, TimeSpan.Zero),
            new ReportCounts(images.Count + (failures?.Count ?? 0), images.Count, failures?.Count ?? 0),
            new ReportThroughput(12, images.Count / 12.0, 2.5, 30),
            images.SelectMany(i => i.Classes).Where(c => c.IoU is not null).ToList() is { Count: > 0 } scored
                ? new ReportQuality(images.Count(i => i.Classes.Any(c => c.IoU is not null)), scored.Average(c => c.IoU!.Value), scored.Average(c => c.Dice!.Value))
                : null,
            silos ?? new Dictionary<string, int> { ["10.0.0.1:11111"] = images.Count },
            images,
            failures ?? []);

    private static string Render(JobReport report) =>
        ReportPage.Render(report, [.. ReportPage.Sample(report.Images).Select(i => ReportPreview.Of(i.Name, [1, 2, 3]))]);

    /// <summary>The images each chart's bars hold, chart by chart.</summary>
    private static List<int> ChartTotals(string html) =>
        [.. html.Split("<svg").Skip(1).Select(svg => BarTitle().Matches(svg).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"<rect class=""bar""[^>]*><title>[^<]*: (\d+) images?</title>")]
    private static partial Regex BarTitle();

    /// <summary>A src or href to anything with an authority (http://, https://, //…): something the page would fetch.</summary>
    [GeneratedRegex(@"(?:src|href)\s*=\s*[""']?\s*(?:[a-z][a-z0-9+.-]*:)?//", RegexOptions.IgnoreCase)]
    internal static partial Regex ExternalReference();

    [Fact]
    public void ThePageSaysWhatRanAndWhatAContinuingJobSkippedRedidAndLeftOut()
    {
        var report = Report([Image("a.png"), Image("b.png")]) with
        {
            Model = new ReportModel("models/m.onnx", "L4", 96, 0.25, 8, Tta: false, Sha256: "0123abcd"),
            Counts = new ReportCounts(3, 2, 0, Skipped: 1, LeftOut: 1),
            Version = "1.2.3+abc",
            Silos = [new ReportSilo("10.0.0.1:11111", 2, "cuda:0", 96, 8)],
            Resume = new ReportResume("job-0", [new ReportNote("a.png", "current")], [new ReportNote("b.png", "option --tile changed (64 → 96)")], [new ReportNote(Hostile, "input changed <b>")]),
        };

        var html = Render(report);

        Assert.Contains("<code>0123abcd</code>", html, StringComparison.Ordinal);
        Assert.Contains("1.2.3+abc", html, StringComparison.Ordinal);
        Assert.Contains("<td>cuda:0</td><td class=\"num\">96</td><td class=\"num\">8</td>", html, StringComparison.Ordinal);
        Assert.Contains("Continued from job job-0", html, StringComparison.Ordinal);
        Assert.Contains("option --tile changed (64 → 96)", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.DoesNotContain("changed <b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WarnedImagesAreCountedAndListedWithTheirWarning()
    {
        var faint = Image("faint.tif") with { Warning = "its values use at most an eighth of the sample range; --normalize percentile fits it" };
        var html = Render(Report([faint, Image("bright.png")]));

        Assert.Contains("<div class=\"value\">1</div><div class=\"label\">warned</div>", html, StringComparison.Ordinal);
        Assert.Contains("Warnings (1)", html, StringComparison.Ordinal);
        Assert.Contains("--normalize percentile fits it", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Warnings", Render(Report([Image("bright.png")])), StringComparison.Ordinal);
    }

    [Fact]
    public void NamesReasonsSilosAndPathsFromUsersAreEscaped()
    {
        var failures = new[] { new ImageFailure("<img src=x onerror=alert(1)>.png", "bad \"quote\" & <b>bold</b>") };
        var report = Report([Image(Hostile, iou: 0.5), Image("plain.png")], failures, new Dictionary<string, int> { ["<i>silo</i>"] = 2 }, input: "in/\"a\"&<b>");

        var html = ReportPage.Render(report, [ReportPreview.Missing(Hostile, "<script>no</script>"), ReportPreview.Of("plain.png", [1])]);

        Assert.All(["<script", "<img src=x", "<b>", "<i>"], markup => Assert.DoesNotContain(markup, html, StringComparison.OrdinalIgnoreCase));
        Assert.All(
            [
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;.png",
                "&lt;img src=x onerror=alert(1)&gt;.png",
                "bad &quot;quote&quot; &amp; &lt;b&gt;bold&lt;/b&gt;",
                "&lt;i&gt;silo&lt;/i&gt;",
                "in/&quot;a&quot;&amp;&lt;b&gt;",
                "No thumbnail: &lt;script&gt;no&lt;/script&gt;",
            ],
            escaped => Assert.Contains(escaped, html, StringComparison.Ordinal));
    }

    [Fact]
    public void WithNoSegmentedImageThereIsNothingToChartOrShow()
    {
        var html = Render(Report([], [new ImageFailure("a.png", "unreadable")]));

        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("nothing to chart", html, StringComparison.Ordinal);
        Assert.Contains("No image was segmented.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void OneImageIsChartedAsOneBarPerHistogram()
    {
        var html = Render(Report([Image("a.png", fraction: 0.125, objects: 4)]));

        Assert.Equal([1, 1], ChartTotals(html));
        Assert.Equal(2, Regex.Count(html, "<rect class=\"bar\""));
        Assert.Contains("<title>12.5: 1 image</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>4: 1 image</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ManyImagesAreEachCountedOnceInEveryHistogramWithLabelledAxes()
    {
        var random = new Random(5);
        var images = Enumerable.Range(0, 300).Select(i => Image($"img-{i:D3}.png", random.NextDouble() * 0.6, random.Next(0, 80))).ToList();

        var html = Render(Report(images));

        Assert.Equal([300, 300], ChartTotals(html));
        Assert.Contains("foreground (% of the image&#39;s pixels)", html, StringComparison.Ordinal);
        Assert.Contains("objects in the image", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(html, ">images</text>"));
    }

    [Fact]
    public void EqualValuesAreChartedAsOneBar()
    {
        var html = Render(Report([.. Enumerable.Range(0, 20).Select(i => Image($"{i}.png", fraction: 0.1, objects: 3))]));

        Assert.Equal([20, 20], ChartTotals(html));
        Assert.Equal(2, Regex.Count(html, "<rect class=\"bar\""));
    }

    [Fact]
    public void EachClassOfAMultiClassModelHasItsOwnHistograms()
    {
        var images = new[]
        {
            new ImageReport("a.png", "masks/a.png", 8, 8, 1, [Class(1, 0.2, 2, 0.9), Class(2, 0.1, 1, 0.4)], 0.1),
            new ImageReport("b.png", "masks/b.png", 8, 8, 1, [Class(1, 0.3, 5, 0.7), Class(2, 0.0, 0, 0.8)], 0.1),
        };

        var html = Render(Report(images));

        Assert.Contains("<h3>Class 1</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<h3>Class 2</h3>", html, StringComparison.Ordinal);
        Assert.Equal([2, 2, 2, 2], ChartTotals(html));
        Assert.Contains("<th class=\"num\">Class</th>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TheQualityTableIsThereOnlyWithLabelsAndListsTheWorstFirst()
    {
        var unlabelled = Render(Report([Image("a.png"), Image("b.png")]));
        var labelled = Render(Report([Image("a.png", iou: 0.9), Image("b.png", iou: 0.3), Image("c.png", iou: 0.6), Image("d.png")]));

        Assert.DoesNotContain("id=\"quality\"", unlabelled, StringComparison.Ordinal);
        Assert.DoesNotContain("IoU", unlabelled, StringComparison.Ordinal);
        Assert.Contains("id=\"quality\"", labelled, StringComparison.Ordinal);
        Assert.Contains("<strong>0.6000</strong>", labelled, StringComparison.Ordinal);
        var rows = Regex.Matches(labelled, "<tr class=\"score\"><td class=\"num\">\\d+</td><td class=\"name\">([^<]+)</td>").Select(m => m.Groups[1].Value);
        Assert.Equal(["b.png", "c.png", "a.png"], rows);
    }

    [Fact]
    public void EveryOneOfThousandsOfFailuresIsListedInAScrollingTable()
    {
        var failures = Enumerable.Range(0, 5000).Select(i => new ImageFailure($"bad-{i:D4}.png", $"reason {i}")).ToList();

        var html = Render(Report([Image("a.png")], failures));

        Assert.Equal(5000, Regex.Count(html, "<tr class=\"failure\">"));
        Assert.All(failures, f => Assert.Contains($"<td class=\"name\">{f.Name}</td><td class=\"reason\">{f.Reason}</td>", html, StringComparison.Ordinal));
        var section = html[html.IndexOf("id=\"failures\"", StringComparison.Ordinal)..];
        Assert.Contains("<h2>Failures (5000)</h2><p class=\"note\">Each image that could not be segmented, with the reason of its last try.</p><div class=\"scroll\"><table>", section, StringComparison.Ordinal);
    }

    [Fact]
    public void ThumbnailsAreDataUrisAndOneThatCouldNotBeMadeSaysWhyInstead()
    {
        var report = Report([Image("a.png"), Image("b.png")]);

        var html = ReportPage.Render(report, [ReportPreview.Of("a.png", [1, 2, 3]), ReportPreview.Missing("b.png", "Object 'masks/b.png' was not found")]);

        Assert.Equal(1, Regex.Count(html, "<img "));
        Assert.Contains("<img src=\"data:image/png;base64,AQID\" alt=\"a.png\">", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"missing\">No thumbnail: Object &#39;masks/b.png&#39; was not found</div>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePageNeedsNothingFromOutsideItself()
    {
        var failures = new[] { new ImageFailure("x.png", "see https://example.org/help") };
        var html = Render(Report([Image("a.png", iou: 0.5), Image("b.png")], failures));

        Assert.Empty(ExternalReference().Matches(html));
        Assert.All(["<script", "<link", "<iframe", "url(", "@import"], fetching => Assert.DoesNotContain(fetching, html, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void TheSummarySaysWhatRanAndEachSilosShare()
    {
        var html = Render(Report([Image("a.png"), Image("b.png"), Image("c.png"), Image("d.png")], silos: new Dictionary<string, int> { ["silo-b"] = 1, ["silo-a"] = 3 }));

        Assert.Contains("<span class=\"state good\">Completed</span>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"value\">4</div><div class=\"label\">segmented</div>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"value\">12.0 s</div><div class=\"label\">duration</div>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"value\">2.50</div><div class=\"label\">tiles / s</div>", html, StringComparison.Ordinal);
        Assert.Contains("64 × 64 px, overlap 25%", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">3</td><td class=\"num\">75.0%</td><td class=\"share\"><div class=\"meter\"><span style=\"width:75%\">", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("silo-a", StringComparison.Ordinal) < html.IndexOf("silo-b", StringComparison.Ordinal), "the silo that did most comes first");
    }

    [Fact]
    public void TheSampleIsSpreadEvenlyOverTheImagesInTheirOrder()
    {
        var images = Enumerable.Range(0, 100).Select(i => Image($"img-{i:D3}.png")).ToList();

        var sample = ReportPage.Sample(images);

        Assert.Equal(
            ["img-004.png", "img-012.png", "img-020.png", "img-029.png", "img-037.png", "img-045.png", "img-054.png", "img-062.png", "img-070.png", "img-079.png", "img-087.png", "img-095.png"],
            sample.Select(i => i.Name));
        Assert.Equal(images.Take(5), ReportPage.Sample([.. images.Take(5)]));
        Assert.Empty(ReportPage.Sample([]));
    }
}
