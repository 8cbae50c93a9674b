using System.Text.Json;
using NetVips;
using UNetPP.Cluster.Contracts;
using System.Text.RegularExpressions;
using UNetPP.Cluster.Reporting;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>The report.html of a real job, with the built-in model on the sample nuclei, opened in headless Chromium.</summary>
[Trait(TestTier.Category, TestTier.External)]
[Collection(EndToEndGroup.Name)]
public sealed partial class ReportPageBrowserTests(EndToEndFixture cluster)
{
    /// <summary>A file name that would be markup if the page did not escape it.</summary>
    private const string Hostile = "broken <b>&\"quoted\"'.png";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>A src or href to anything with an authority (http://, https://, //…): something the page would fetch.</summary>
    [GeneratedRegex(@"(?:src|href)\s*=\s*[""']?\s*(?:[a-z][a-z0-9+.-]*:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [Fact]
    public async Task TheReportPageOfARealJobShowsEveryThumbnailAndEscapesNames()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.File(id + "-images");
        var labels = cluster.Temp.File(id + "-labels");
        var output = cluster.Temp.File(id);
        var images = WriteSamples(input, labels);
        await File.WriteAllTextAsync(Path.Combine(input, Hostile), "not an image");
        var job = cluster.Client.GetGrain<IJobGrain>(id);

        await job.SubmitAsync(new JobSpec { Input = input, Output = output, Labels = labels, ShardSize = 4 });
        var status = await Work.WaitUntilFinishedAsync(job, Patience);

        Assert.True(status.State == JobState.CompletedWithFailures, $"{status.State}: {string.Join("; ", status.Failures.Select(f => $"{f.Name}: {f.Reason}"))} {status.Error}");
        Assert.Equal((images, 1), (status.Done, status.Failed));
        Assert.Null(status.Error);
        var page = Path.Combine(output, JobReport.PageFileName);
        Assert.Empty(ExternalReference().Matches(await File.ReadAllTextAsync(page)));

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(new Uri(page));
        var broken = await browser.EvaluateAsync("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt)");
        var shown = await browser.EvaluateAsync("document.images.length");
        var markup = await browser.EvaluateAsync("document.querySelectorAll('b, script').length");
        var named = await browser.EvaluateAsync($"document.querySelector('#failures td.name').textContent === {JsonSerializer.Serialize(Hostile)}");
        var scored = await browser.EvaluateAsync("document.querySelectorAll('#quality tr.score').length");
        var size = await browser.EvaluateAsync("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]");
        var screenshot = await browser.ScreenshotAsync();
        SaveScreenshot(screenshot);

        Assert.Empty(broken.EnumerateArray());
        Assert.Equal(ReportPage.SampleSize, shown.GetInt32());
        Assert.Equal(0, markup.GetInt32());
        Assert.True(named.GetBoolean(), "the failure is listed under its own name, as text");
        Assert.Equal(images, scored.GetInt32());
        using var picture = NetVips.Image.NewFromBuffer(screenshot);
        Assert.Equal((size[0].GetInt32(), size[1].GetInt32()), (picture.Width, picture.Height));
    }

    /// <summary>
    /// The sample nuclei and their labels as they are, turned a quarter and mirrored: three times as
    /// many images as samples, more than the page shows, with labels that fit.
    /// </summary>
    private static int WriteSamples(string input, string labels)
    {
        var samples = Path.Combine(RepoPaths.Root, "samples", "nuclei");
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(samples, "images"), "*.png").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            foreach (var (folder, turn) in (ReadOnlySpan<(string, Func<Image, Image>)>)[("", i => i.Copy()), ("turned/", i => i.Rot90()), ("mirrored/", i => i.FlipHor())])
            {
                Write(turn, file, Path.Combine(input, folder + name));
                Write(turn, Path.Combine(samples, "masks", name), Path.Combine(labels, folder + name));
                count++;
            }
        }

        return count;
    }

    private static void Write(Func<Image, Image> turn, string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        using var image = Image.NewFromFile(from, access: Enums.Access.Random);
        using var turned = turn(image);
        turned.WriteToFile(to);
    }

    /// <summary>Under the test's temp folder, and where UNETPP_REPORT_SCREENSHOT says too, to look at after the run.</summary>
    private void SaveScreenshot(byte[] png)
    {
        var folder = Directory.CreateDirectory(cluster.Temp.File("screenshots")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "report.png"), png);
        if (Environment.GetEnvironmentVariable("UNETPP_REPORT_SCREENSHOT") is { Length: > 0 } copy)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(copy))!);
            File.WriteAllBytes(copy, png);
        }
    }
}
