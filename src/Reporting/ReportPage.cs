using System.Net;
using System.Text;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Reporting;

/// <summary>
/// The job's <see cref="JobReport.PageFileName"/>: what <c>report.json</c> says, for a person. One file that needs
/// nothing else to show: the style inline, the charts inline SVG, the thumbnails data: URIs, no
/// script. Everything that came from a user (names, paths, reasons) is HTML-escaped.
/// </summary>
public static class ReportPage
{
    /// <summary>How many images the page shows thumbnails of, at most.</summary>
    public const int SampleSize = 12;

    /// <summary>
    /// Up to <paramref name="size"/> of the images, spread evenly over them in the order given (the
    /// report's: by name), the middle of each equal run; all of them when there are no more.
    /// </summary>
    public static IReadOnlyList<ImageReport> Sample(IReadOnlyList<ImageReport> images, int size = SampleSize) =>
        images.Count <= size
            ? images
            : [.. Enumerable.Range(0, size).Select(i => images[(int)((((2L * i) + 1) * images.Count) / (2L * size))])];

    /// <param name="report">The job's report.</param>
    /// <param name="previews">The thumbnails of <see cref="Sample"/>'s images, in its order.</param>
    public static string Render(JobReport report, IReadOnlyList<ReportPreview> previews)
    {
        var page = new StringBuilder();
        Append(page, $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Segmentation report · {E(report.JobId)}</title>\n<style>{Style}</style>\n</head>\n<body>\n<main>\n");
        Heading(page, report);
        Summary(page, report);
        Silos(page, report);
        Distributions(page, report);
        Quality(page, report);
        Objects(page, report);
        Previews(page, report, previews);
        Failures(page, report);
        Warnings(page, report);
        Continued(page, report);
        page.Append("<footer>Written by UNetPP.Cluster when the job ended. Every figure of every image is in <a href=\"report.json\">report.json</a>, beside this page.</footer>\n</main>\n</body>\n</html>\n");
        return page.ToString();
    }

    private static void Heading(StringBuilder page, JobReport report)
    {
        var (tone, words) = report.State switch
        {
            JobState.Completed => ("good", "Completed"),
            JobState.CompletedWithFailures => ("warn", "Completed with failures"),
            JobState.Cancelled => ("bad", "Cancelled"),
            JobState.Failed => ("bad", "Failed"),
            var other => ("", other.ToString()),
        };
        Append(page, $"<header><p class=\"kicker\">UNet++ segmentation report</p><h1>Job {E(report.JobId)} <span class=\"state {tone}\">{words}</span></h1>");
        Append(page, $"<p class=\"paths\"><span>from</span> <code>{E(report.Input)}</code> <span>to</span> <code>{E(report.Output)}</code></p></header>\n");
    }

    private static void Summary(StringBuilder page, JobReport report)
    {
        var counts = report.Counts;
        var speed = report.Throughput;
        page.Append("<section id=\"summary\"><h2>Summary</h2><div class=\"figures\">");
        Figure(page, Invariant($"{counts.Total}"), "images");
        Figure(page, Invariant($"{counts.Done}"), "segmented");
        Figure(page, Invariant($"{counts.Failed}"), "failed", counts.Failed > 0 ? "bad" : "");
        if (report.Images.Count(i => i.Warning is not null) is > 0 and var warned)
        {
            Figure(page, Invariant($"{warned}"), "warned", "bad");
        }
        Figure(page, Duration(speed.Seconds), "duration");
        Figure(page, Invariant($"{speed.ImagesPerSecond:0.00}"), "images / s");
        Figure(page, Invariant($"{speed.TilesPerSecond:0.00}"), "tiles / s");
        if (report.Quality is { } quality)
        {
            Figure(page, Invariant($"{quality.MeanIoU:0.000}"), "mean IoU");
            Figure(page, Invariant($"{quality.MeanDice:0.000}"), "mean Dice");
        }

        if (report.Instances is { } instances)
        {
            Figure(page, Invariant($"{instances.F1:0.000}"), "object F1");
            Figure(page, Invariant($"{instances.Dsb:0.000}"), "DSB score");
        }

        var model = report.Model;
        page.Append("</div><table class=\"facts\"><tbody>");
        Fact(page, "Model", $"<code>{E(model.Source)}</code>");
        Fact(page, "Mode", E(model.Mode));
        Fact(page, "Model SHA-256", model.Sha256 is { } sha ? $"<code>{E(sha)}</code>" : "—");
        Fact(page, "Tile", model.TileSize is { } tile ? Invariant($"{tile} × {tile} px, overlap {model.Overlap:0.##%}") : Invariant($"no engine ran, overlap {model.Overlap:0.##%}"));
        Fact(page, "Batch", model.BatchSize is { } batch ? Invariant($"{batch} tiles per model run") : "no engine ran");
        Fact(page, "Test-time augmentation", model.Tta ? "on: each tile also flipped three ways, the four predictions averaged" : "off");
        Fact(page, "Tiles", Invariant($"{speed.Tiles:N0}"));
        Fact(page, "Started", Time(report.Started));
        Fact(page, "Finished", Time(report.Finished));
        Fact(page, "Tool version", E(report.Version ?? "—"));
        if (LabelsFound(report) is { Length: > 0 } labels)
        {
            Fact(page, "Ground truth", labels);
        }

        if (counts.Skipped > 0 || counts.LeftOut > 0)
        {
            Fact(page, "Continued", Invariant($"{counts.Skipped} skipped as done and current (made by job {E(report.Resume?.PreviousJob)}), {report.Resume?.Redone.Count ?? 0} done again, {counts.LeftOut} left out"));
        }

        page.Append("</tbody></table></section>\n");
    }

    private static void Silos(StringBuilder page, JobReport report)
    {
        page.Append("<section id=\"silos\"><h2>Images per silo</h2>");
        var total = report.ImagesBySilo.Values.Sum();
        if (total == 0)
        {
            page.Append("<p class=\"empty\">No silo segmented an image.</p></section>\n");
            return;
        }

        var runs = (report.Silos ?? []).ToDictionary(s => s.Silo, StringComparer.Ordinal);
        page.Append("<table><thead><tr><th>Silo</th><th>Device</th><th class=\"num\">Tile</th><th class=\"num\">Batch</th><th class=\"num\">Images</th><th class=\"num\">Share</th><th class=\"share\"></th></tr></thead><tbody>");
        foreach (var (silo, images) in report.ImagesBySilo.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal))
        {
            var share = (double)images / total;
            var run = runs.GetValueOrDefault(silo);
            Append(page, $"<tr><td><code>{E(silo)}</code></td><td>{E(run?.Device ?? "—")}</td><td class=\"num\">{run?.TileSize}</td><td class=\"num\">{run?.BatchSize}</td>");
            Append(page, $"<td class=\"num\">{images}</td><td class=\"num\">{share:0.0%}</td><td class=\"share\"><div class=\"meter\"><span style=\"width:{share * 100:0.##}%\"></span></div></td></tr>");
        }

        page.Append("</tbody></table></section>\n");
    }

    /// <summary>Per foreground class: how much of each image it covers, and how many objects each holds.</summary>
    private static void Distributions(StringBuilder page, JobReport report)
    {
        page.Append("<section id=\"distributions\"><h2>Foreground and objects</h2>");
        var classes = Classes(report);
        if (classes.Count == 0)
        {
            page.Append("<p class=\"empty\">No image was segmented, so there is nothing to chart.</p></section>\n");
            return;
        }

        var counted = report.Images.Any(i => i.LabelImage is not null || i.Instances is not null)
            ? "objects are those the job separated, touching nuclei apart"
            : "objects are 8-connected regions of the mask";
        Append(page, $"<p class=\"note\">Over the {report.Images.Count} segmented image{(report.Images.Count == 1 ? "" : "s")}; {counted}.</p>");
        foreach (var cls in classes)
        {
            var found = report.Images.SelectMany(i => i.Classes.Where(c => c.Class == cls)).ToList();
            var named = classes.Count > 1 ? Invariant($"Class {cls}: ") : "";
            page.Append(classes.Count > 1 ? Invariant($"<h3>Class {cls}</h3>") : "");
            var percent = found.Select(c => c.ForegroundFraction * 100).ToList();
            var objects = found.Select(c => c.ObjectCount).ToList();
            page.Append("<div class=\"charts\"><figure>");
            page.Append(HistogramChart.Svg(Histogram.OfMeasurements(percent), named + "foreground per image", "foreground (% of the image's pixels)", v => Invariant($"{v:0.###}")));
            Append(page, $"<figcaption>Foreground: {Spread(percent, v => Invariant($"{v:0.##} %"))}</figcaption></figure><figure>");
            page.Append(HistogramChart.Svg(Histogram.OfCounts(objects), named + "objects per image", "objects in the image", v => Invariant($"{v:0}")));
            Append(page, $"<figcaption>Objects: {Spread([.. objects.Select(o => (double)o)], v => Invariant($"{v:0.#}"))}</figcaption></figure></div>");
        }

        page.Append("</section>\n");
    }

    /// <summary>IoU and Dice against the labels, per image and class, worst first; only when there were labels.</summary>
    private static void Quality(StringBuilder page, JobReport report)
    {
        if (report.Quality is not { } quality)
        {
            return;
        }

        var classes = Classes(report).Count;
        var scores = report.Images
            .SelectMany(i => i.Classes.Where(c => c.IoU is not null).Select(c => (Image: i.Name, c.Class, IoU: c.IoU!.Value, Dice: c.Dice ?? 0)))
            .OrderBy(s => s.IoU).ThenBy(s => s.Image, StringComparer.Ordinal).ThenBy(s => s.Class)
            .ToList();
        page.Append("<section id=\"quality\"><h2>Agreement with the labels</h2>");
        Append(page, $"<p>Mean IoU <strong>{quality.MeanIoU:0.0000}</strong> and mean Dice <strong>{quality.MeanDice:0.0000}</strong> over the {quality.Images} image{(quality.Images == 1 ? "" : "s")} that had labels. IoU = |P ∩ T| / |P ∪ T|, Dice = 2 |P ∩ T| / (|P| + |T|), for predicted mask P and label T. Worst first:</p>");
        page.Append("<div class=\"scroll\"><table><thead><tr><th class=\"num\">#</th><th>Image</th>");
        page.Append(classes > 1 ? "<th class=\"num\">Class</th>" : "");
        page.Append("<th class=\"num\">IoU</th><th class=\"num\">Dice</th></tr></thead><tbody>");
        foreach (var (score, rank) in scores.Select((s, i) => (s, i + 1)))
        {
            Append(page, $"<tr class=\"score\"><td class=\"num\">{rank}</td><td class=\"name\">{E(score.Image)}</td>");
            page.Append(classes > 1 ? Invariant($"<td class=\"num\">{score.Class}</td>") : "");
            Append(page, $"<td class=\"num\">{score.IoU:0.0000}</td><td class=\"num\">{score.Dice:0.0000}</td></tr>");
        }

        page.Append("</tbody></table></div></section>\n");
    }

    /// <summary>
    /// What objects were found: their sizes, each image's count and, when the ground truth held instance labels,
    /// how they match its objects, worst image first; nothing when no image had an object or a score.
    /// </summary>
    private static void Objects(StringBuilder page, JobReport report)
    {
        if (!report.Images.Any(i => i.Classes.Any(c => c.ObjectCount > 0)) && report.Instances is null)
        {
            return;
        }

        var classes = Classes(report);

        page.Append("<section id=\"objects\"><h2>Objects</h2>");
        var sized = classes
            .Select(cls => (Class: cls, Bins: ObjectSizeBins.Add(report.Images.SelectMany(i => i.Classes.Where(c => c.Class == cls).Select(c => c.ObjectSizes)))))
            .Where(s => s.Bins.Any(n => n > 0))
            .ToList();
        if (sized.Count > 0)
        {
            page.Append("<p class=\"note\">Object areas over all images, in bins that double in width: 1, 2–3, 4–7, 8–15 … pixels, each bin drawn from its smallest area to the next bin's.</p><div class=\"charts\">");
            foreach (var (cls, bins) in sized)
            {
                var named = classes.Count > 1 ? Invariant($"Class {cls}: ") : "";
                var first = Enumerable.Range(0, bins.Count).First(k => bins[k] > 0);
                var last = Enumerable.Range(0, bins.Count).Last(k => bins[k] > 0);
                var histogram = Histogram.OfBins([.. Enumerable.Range(first, last - first + 1).Select(k => new HistogramBin(ObjectSizeBins.From(k), ObjectSizeBins.From(k + 1), bins[k]))]);
                page.Append("<figure>");
                page.Append(HistogramChart.Svg(histogram, named + "object sizes", "object area (pixels)", Area, counted: "object"));
                Append(page, $"<figcaption>{named}{bins.Sum()} objects</figcaption></figure>");
            }

            page.Append("</div>");
        }

        page.Append("<h3>Objects per image</h3><div class=\"scroll\"><table><thead><tr><th>Image</th>");
        page.Append(classes.Count > 1 ? "<th class=\"num\">Class</th>" : "");
        page.Append("<th class=\"num\">Objects</th><th class=\"num\">Mean area</th><th class=\"num\">Largest</th></tr></thead><tbody>");
        foreach (var image in report.Images)
        {
            foreach (var cls in image.Classes)
            {
                Append(page, $"<tr class=\"objects\"><td class=\"name\">{E(image.Name)}</td>");
                page.Append(classes.Count > 1 ? Invariant($"<td class=\"num\">{cls.Class}</td>") : "");
                Append(page, $"<td class=\"num\">{cls.ObjectCount}</td><td class=\"num\">{cls.MeanObjectArea:0.#} px</td><td class=\"num\">{cls.LargestObjectArea} px</td></tr>");
            }
        }

        page.Append("</tbody></table></div>");
        InstanceScores(page, report);
        page.Append("</section>\n");
    }

    /// <summary>Object matching against instance labels, per image worst first by DSB score, then the job's totals.</summary>
    private static void InstanceScores(StringBuilder page, JobReport report)
    {
        if (report.Instances is not { } total)
        {
            return;
        }

        var scored = report.Images
            .Where(i => i.Instances is not null)
            .Select(i => (i.Name, Scores: i.Instances!))
            .OrderBy(s => s.Scores.Dsb).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        page.Append("<h3>Objects against instance labels</h3>");
        Append(page, $"<p class=\"note\">Over the {total.Images} image{(total.Images == 1 ? "" : "s")} whose ground truth gave every object its own id. A found object matches a true one when their IoU is above 0.5; ");
        page.Append("the DSB score (Data Science Bowl 2018) is the mean, over IoU thresholds 0.5, 0.55 … 0.95, of matched / (matched + unmatched + missed). ");
        page.Append("A merge is a found object covering more than half of two or more true ones, a split a true object more than half of two or more found ones lie in.");
        page.Append(report.Images.Any(i => i.Labels == LabelsKind.BinaryMasks) ? " Images whose ground truth was a binary mask are not scored here: touching objects in it cannot be told apart." : "");
        page.Append(" Worst first:</p>");
        page.Append("<div class=\"scroll\"><table><thead><tr><th class=\"num\">#</th><th>Image</th><th class=\"num\">DSB</th><th class=\"num\">F1</th><th class=\"num\">Precision</th><th class=\"num\">Recall</th><th class=\"num\">Matched IoU</th>");
        page.Append("<th class=\"num\">True</th><th class=\"num\">Found</th><th class=\"num\">Matched</th><th class=\"num\">Merges</th><th class=\"num\">Splits</th></tr></thead><tbody>");
        foreach (var ((name, scores), rank) in scored.Select((s, i) => (s, i + 1)))
        {
            Append(page, $"<tr class=\"instances\"><td class=\"num\">{rank}</td><td class=\"name\">{E(name)}</td>");
            InstanceCells(page, scores);
        }

        Append(page, $"</tbody><tfoot><tr class=\"total\"><th></th><th>All {total.Images} image{(total.Images == 1 ? "" : "s")}</th>");
        InstanceCells(page, total);
        page.Append("</tfoot></table></div>");
    }

    private static void InstanceCells(StringBuilder page, InstanceQuality scores) =>
        Append(page, $"<td class=\"num\">{scores.Dsb:0.000}</td><td class=\"num\">{scores.F1:0.000}</td><td class=\"num\">{scores.Precision:0.000}</td><td class=\"num\">{scores.Recall:0.000}</td><td class=\"num\">{scores.MeanMatchedIoU:0.000}</td><td class=\"num\">{scores.TruthObjects}</td><td class=\"num\">{scores.PredictedObjects}</td><td class=\"num\">{scores.Matched}</td><td class=\"num\">{scores.Merges}</td><td class=\"num\">{scores.Splits}</td></tr>");

    /// <summary>What the images' ground truth held, kind by kind with how many images: empty when none had any.</summary>
    private static string LabelsFound(JobReport report) => string.Join(", ", report.Images
        .Where(i => i.Labels is not null)
        .GroupBy(i => i.Labels!.Value)
        .OrderBy(g => g.Key)
        .Select(g => Invariant($"{Words(g.Key)} ({g.Count()} image{(g.Count() == 1 ? "" : "s")})")));

    private static string Words(LabelsKind labels) => labels switch
    {
        LabelsKind.InstanceLabels => "instance labels",
        LabelsKind.BinaryMasks => "binary masks",
        _ => "class masks",
    };

    /// <summary>An area for an axis: in thousands from 10 000 up, so a bin's range stays short under its bar.</summary>
    private static string Area(double pixels) => pixels < 10_000 ? Invariant($"{pixels:0}") : Invariant($"{pixels / 1000:0}k");

    private static void Previews(StringBuilder page, JobReport report, IReadOnlyList<ReportPreview> previews)
    {
        page.Append("<section id=\"previews\"><h2>Sample of images</h2>");
        if (previews.Count == 0)
        {
            page.Append("<p class=\"empty\">No image was segmented.</p></section>\n");
            return;
        }

        var images = report.Images.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var spread = previews.Count < report.Images.Count ? ", spread evenly over their names" : "";
        var drawn = report.Images.Any(i => i.LabelImage is not null) ? "its objects drawn over it, each in a colour of its own" : "its mask drawn over it";
        Append(page, $"<p class=\"note\">{previews.Count} of the {report.Images.Count} segmented images{spread}, each with {drawn} (outlines solid, inside translucent).</p><div class=\"thumbs\">");
        foreach (var preview in previews)
        {
            page.Append("<figure class=\"thumb\">");
            if (preview.Png is { } png)
            {
                Append(page, $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{E(preview.Name)}\">");
            }
            else
            {
                Append(page, $"<div class=\"missing\">No thumbnail: {E(preview.Problem)}</div>");
            }

            Append(page, $"<figcaption><span class=\"name\">{E(preview.Name)}</span>");
            if (images.TryGetValue(preview.Name, out var image))
            {
                var scored = image.Classes.Where(c => c.IoU is not null).ToList();
                var iou = scored.Count > 0 ? Invariant($" · IoU {scored.Average(c => c.IoU!.Value):0.000}") : "";
                Append(page, $"<br>{image.Width} × {image.Height} px{iou}<br>{image.Classes.Sum(c => c.ForegroundFraction) * 100:0.0} % foreground · {image.Classes.Sum(c => c.ObjectCount)} objects");
            }

            page.Append("</figcaption></figure>");
        }

        page.Append("</div></section>\n");
    }

    /// <summary>Every failure with its reason; a long list scrolls in its own box so the page stays usable.</summary>
    private static void Failures(StringBuilder page, JobReport report)
    {
        Append(page, $"<section id=\"failures\"><h2>Failures ({report.Failures.Count})</h2>");
        if (report.Failures.Count == 0)
        {
            page.Append("<p class=\"empty\">No image failed.</p></section>\n");
            return;
        }

        page.Append("<p class=\"note\">Each image that could not be segmented, with the reason of its last try.</p><div class=\"scroll\"><table><thead><tr><th class=\"num\">#</th><th>Image</th><th>Reason</th></tr></thead><tbody>");
        foreach (var (failure, number) in report.Failures.Select((f, i) => (f, i + 1)))
        {
            Append(page, $"<tr class=\"failure\"><td class=\"num\">{number}</td><td class=\"name\">{E(failure.Name)}</td><td class=\"reason\">{E(failure.Reason)}</td></tr>");
        }

        page.Append("</tbody></table></div></section>\n");
    }

    /// <summary>Images segmented with a warning (input too faint for a fixed normalisation, say), each with what fits it; nothing when none was warned.</summary>
    private static void Warnings(StringBuilder page, JobReport report)
    {
        var warned = report.Images.Where(i => i.Warning is not null).ToList();
        if (warned.Count == 0)
        {
            return;
        }

        Append(page, $"<section id=\"warnings\"><h2>Warnings ({warned.Count})</h2><p class=\"note\">Images that were segmented, but whose masks may not be what you expect.</p>");
        page.Append("<div class=\"scroll\"><table><thead><tr><th>Image</th><th>Warning</th></tr></thead><tbody>");
        foreach (var image in warned)
        {
            Append(page, $"<tr><td class=\"name\">{E(image.Name)}</td><td class=\"reason\">{E(image.Warning!)}</td></tr>");
        }

        page.Append("</tbody></table></div></section>\n");
    }

    /// <summary>For a job that continued an earlier one's output: what it did again and what it left, each with why; the skipped are counted.</summary>
    private static void Continued(StringBuilder page, JobReport report)
    {
        if (report.Resume is not { } resume)
        {
            return;
        }

        Append(page, $"<section id=\"continued\"><h2>Continued from job {E(resume.PreviousJob ?? "—")}</h2>");
        Append(page, $"<p class=\"note\">{resume.Skipped.Count} image(s) skipped: their outputs were complete and made from the same input, model and options ({JobReport.FileName} names them).</p>");
        foreach (var (title, notes) in new[] { ("Done again", resume.Redone), ("Left out", resume.LeftOut) }.Where(n => n.Item2.Count > 0))
        {
            Append(page, $"<h3>{title} ({notes.Count})</h3><div class=\"scroll\"><table><thead><tr><th>Image</th><th>Why</th></tr></thead><tbody>");
            foreach (var note in notes)
            {
                Append(page, $"<tr><td class=\"name\">{E(note.Name)}</td><td class=\"reason\">{E(note.Reason)}</td></tr>");
            }

            page.Append("</tbody></table></div>");
        }

        page.Append("</section>\n");
    }

    /// <summary>The foreground classes the images hold, in order.</summary>
    private static List<int> Classes(JobReport report) => [.. report.Images.SelectMany(i => i.Classes).Select(c => c.Class).Distinct().Order()];

    private static string Spread(IReadOnlyList<double> values, Func<double, string> format)
    {
        var sorted = values.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return $"mean {format(sorted.Average())}, median {format(median)}, from {format(sorted[0])} to {format(sorted[^1])}";
    }

    private static void Figure(StringBuilder page, string value, string label, string tone = "") =>
        Append(page, $"<div class=\"figure {tone}\"><div class=\"value\">{value}</div><div class=\"label\">{label}</div></div>");

    private static void Fact(StringBuilder page, string name, string html) => Append(page, $"<tr><th>{name}</th><td>{html}</td></tr>");

    /// <summary>In one unit, short enough for a summary figure; the exact times are in the table below it.</summary>
    private static string Duration(double seconds) => seconds switch
    {
        < 60 => Invariant($"{seconds:0.0} s"),
        < 3600 => Invariant($"{seconds / 60:0.0} min"),
        _ => Invariant($"{seconds / 3600:0.00} h"),
    };

    private static string Time(DateTimeOffset? time) => time is { } t ? Invariant($"{t.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC") : "—";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static void Append(StringBuilder page, FormattableString text) => page.Append(FormattableString.Invariant(text));

    private const string Style = """
        :root{--ink:#1d2733;--muted:#5c6b7a;--line:#dde3ea;--wash:#f4f6f9;--accent:#2f6db5;--good:#1f7a3a;--warn:#8a5a00;--bad:#b42318}
        *{box-sizing:border-box}
        body{margin:0;background:var(--wash);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
        main{max-width:1140px;margin:0 auto;padding:28px 24px 40px}
        header{margin-bottom:8px}
        .kicker{margin:0;color:var(--muted);font-size:.8rem;letter-spacing:.08em;text-transform:uppercase}
        h1{margin:2px 0 6px;font-size:1.7rem;font-weight:650;overflow-wrap:anywhere}
        h2{margin:0 0 12px;font-size:1.15rem;font-weight:650}
        h3{margin:18px 0 4px;font-size:1rem;font-weight:600}
        .paths{margin:0;color:var(--muted)}
        .paths code{color:var(--ink)}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em;overflow-wrap:anywhere}
        .state{display:inline-block;vertical-align:middle;margin-left:8px;padding:2px 12px;border-radius:999px;font-size:.8rem;font-weight:600;background:#e6ebf1}
        .state.good{background:#dcf3e3;color:var(--good)}.state.warn{background:#fdf0cf;color:var(--warn)}.state.bad{background:#fde2df;color:var(--bad)}
        section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin-top:16px}
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(112px,1fr));gap:10px;margin-bottom:16px}
        .figure{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--wash)}
        .figure .value{font-size:1.45rem;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}
        .figure .label{color:var(--muted);font-size:.8rem}
        .figure.bad .value{color:var(--bad)}
        table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
        th,td{padding:5px 10px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
        thead th{position:sticky;top:0;background:var(--wash);font-weight:600;font-size:.85rem}
        .facts th{width:210px;color:var(--muted);font-weight:500}
        .num{width:1%;text-align:right;white-space:nowrap}
        .name,.reason{overflow-wrap:anywhere}
        td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
        .share{width:40%}
        .meter{height:12px;border-radius:6px;background:var(--wash);border:1px solid var(--line);overflow:hidden}
        .meter span{display:block;height:100%;background:var(--accent)}
        .scroll{max-height:480px;overflow:auto;border:1px solid var(--line);border-radius:8px}
        .scroll table td,.scroll table th{border-bottom-color:#edf0f4}
        .note{margin:0 0 10px;color:var(--muted);font-size:.9rem}
        .empty{margin:0;color:var(--muted);font-style:italic}
        .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px 28px}
        .chart{display:block;width:100%;max-width:600px;height:auto}
        figure{margin:0}
        figcaption{color:var(--muted);font-size:.82rem;margin-top:4px;overflow-wrap:anywhere}
        .chart .bar{fill:var(--accent)}
        .chart .grid{stroke:#e9edf2}
        .chart .axis{stroke:#7b8794}
        .chart text{font:11px system-ui,sans-serif;fill:#52606d}
        .chart .axis-title{font-size:12px;fill:var(--ink)}
        .chart .count{font-size:10px;fill:var(--ink)}
        .thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(232px,1fr));gap:18px 14px}
        .thumb img,.thumb .missing{display:block;width:192px;height:192px;border-radius:6px;background:#0d1117}
        .thumb img{object-fit:contain;image-rendering:pixelated}
        .thumb .missing{display:flex;align-items:center;justify-content:center;padding:12px;text-align:center;font-size:.8rem;overflow-wrap:anywhere;overflow:auto;color:var(--bad);background:#fff6f5;border:1px dashed #e7a39b}
        .thumb .name{color:var(--ink);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        footer{margin-top:18px;color:var(--muted);font-size:.82rem}
        a{color:var(--accent)}
        """;
}
