using System.Text.RegularExpressions;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Reporting.Tests;

/// <summary>The page's objects: sizes, counts per image and, against instance labels, their scores.</summary>
public sealed partial class ReportPageTests
{
    private static ImageReport Sized(string name, int objects, IReadOnlyList<int> sizes, InstanceQuality? instances = null, LabelsKind? labels = null) =>
        Image(name, objects: objects) with
        {
            Classes = [Class(1, 0.2, objects) with { ObjectSizes = sizes, MeanObjectArea = 40.5, LargestObjectArea = 90 }],
            Instances = instances,
            Labels = labels,
        };

    private static InstanceQuality Scores(double dsb, int truth, int found, int matched) => new()
    {
        Dsb = dsb,
        F1 = 2.0 * matched / (truth + found),
        Precision = (double)matched / found,
        Recall = (double)matched / truth,
        MeanMatchedIoU = 0.8,
        TruthObjects = truth,
        PredictedObjects = found,
        Matched = matched,
        Merges = 1,
        Splits = 0,
        Images = 1,
    };

    /// <summary>The objects each object-size chart's bars hold, chart by chart.</summary>
    private static List<int> ObjectChartTotals(string html) =>
        [.. html.Split("<svg").Skip(1)
            .Where(svg => svg.Contains(">objects</text>", StringComparison.Ordinal))
            .Select(svg => ObjectBarTitle().Matches(svg).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"<rect class=""bar""[^>]*><title>[^<]*: (\d+) objects?</title>")]
    private static partial Regex ObjectBarTitle();

    [Fact]
    public void ImagesWithObjectsGetTheirCountsAndASizeChartFromTheirBins()
    {
        // Bins 1, 2–3, 4–7 …: 16–31 holds one of b's objects, 32–63 two of the first image's and one of b's, 64–127 one.
        // Each is drawn from its smallest area to the next bin's.
        var html = Render(Report([Sized(Hostile, 3, [0, 0, 0, 0, 0, 2, 1]), Sized("b.png", 2, [0, 0, 0, 0, 1, 1])]));

        Assert.Contains("<section id=\"objects\">", html, StringComparison.Ordinal);
        Assert.Equal([5], ObjectChartTotals(html));
        Assert.Contains("<title>32–64: 3 objects</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>16–32: 1 object</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>64–128: 1 object</title>", html, StringComparison.Ordinal);
        Assert.Contains(">objects</text>", html, StringComparison.Ordinal);
        Assert.Contains("text-anchor=\"middle\">128</text>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"objects\"><td class=\"name\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;.png</td><td class=\"num\">3</td><td class=\"num\">40.5 px</td><td class=\"num\">90 px</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"objects\"><td class=\"name\">b.png</td><td class=\"num\">2</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.DoesNotContain("against instance labels", html, StringComparison.Ordinal);
    }

    [Fact]
    public void InstanceScoresAreListedWorstFirstWithTheJobsTotals()
    {
        var images = new[]
        {
            Sized("a.png", 4, [0, 0, 4], Scores(0.7, 4, 4, 3), LabelsKind.InstanceLabels),
            Sized(Hostile, 5, [0, 0, 5], Scores(0.2, 6, 5, 2), LabelsKind.InstanceLabels),
            Sized("c.png", 2, [0, 0, 2], Scores(0.5, 2, 2, 2), LabelsKind.InstanceLabels),
            Sized("d.png", 1, [0, 0, 1], labels: LabelsKind.BinaryMasks),
        };
        var total = Scores(1.4 / 3, 12, 11, 7) with { Merges = 3, Images = 3 };

        var html = Render(Report(images) with { Instances = total });

        var rows = Regex.Matches(html, "<tr class=\"instances\"><td class=\"num\">(\\d+)</td><td class=\"name\">([^<]*)</td>").Select(m => (m.Groups[1].Value, m.Groups[2].Value));
        Assert.Equal([("1", WebUtilityEncode(Hostile)), ("2", "c.png"), ("3", "a.png")], rows);
        Assert.Contains("<tr class=\"total\"><th></th><th>All 3 images</th><td class=\"num\">0.467</td><td class=\"num\">0.609</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">12</td><td class=\"num\">11</td><td class=\"num\">7</td><td class=\"num\">3</td><td class=\"num\">0</td></tr></tfoot>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"label\">object F1</div>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"label\">DSB score</div>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><th>Ground truth</th><td>binary masks (1 image), instance labels (3 images)</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("ground truth was a binary mask are not scored here", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
    }

    [Fact]
    public void WithNoObjectsAndNoScoresTheObjectsSectionIsLeftOut()
    {
        var html = Render(Report([Image("a.png", objects: 0), Image("b.png", objects: 0)]));

        Assert.DoesNotContain("id=\"objects\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("object F1", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Ground truth", html, StringComparison.Ordinal);
        Assert.DoesNotContain("object sizes", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectsCountedWithoutSizeBinsGetTheirTableButNoSizeChart()
    {
        var html = Render(Report([Image("a.png", objects: 3)]));

        Assert.Contains("<section id=\"objects\">", html, StringComparison.Ordinal);
        Assert.Empty(ObjectChartTotals(html));
        Assert.DoesNotContain("against instance labels", html, StringComparison.Ordinal);
    }

    private static string WebUtilityEncode(string text) => System.Net.WebUtility.HtmlEncode(text);
}
