using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>A whole job on a two-silo test cluster: the silos' own device workers pull, segment and report every image.</summary>
[Collection(EndToEndGroup.Name)]
public sealed class EndToEndTests(EndToEndFixture cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task EveryImageGetsExactlyOneMaskAndTheReportCountsThem()
    {
        var id = Work.NewJobId();
        var output = cluster.Temp.File(id);
        var job = cluster.Client.GetGrain<IJobGrain>(id);
        var spec = new JobSpec { Input = cluster.Images, Output = output, Model = cluster.Model, ShardSize = 3 };

        var submitted = await job.SubmitAsync(spec);
        Assert.Equal(JobState.Running, submitted.State);
        Assert.Equal(EndToEndFixture.ImageCount, submitted.Total);
        var status = await Work.WaitUntilFinishedAsync(job, Patience);

        Assert.True(status.State == JobState.Completed, $"{status.State}: {string.Join("; ", status.Failures.Select(f => $"{f.Name}: {f.Reason}"))} {status.Error}");
        Assert.Equal((EndToEndFixture.ImageCount, 0, 0), (status.Done, status.Failed, status.InProgress));
        var masks = Path.Combine(output, "masks");
        Assert.Equal(
            cluster.Expected.Select(e => e.Name).Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(masks, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(masks, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        foreach (var (name, width, height) in cluster.Expected)
        {
            using var mask = Image.NewFromFile(Path.Combine(masks, name));
            Assert.Equal((width, height, 1), (mask.Width, mask.Height, mask.Bands));
        }

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(JobState.Completed, report.State);
        Assert.Equal(new ReportCounts(EndToEndFixture.ImageCount, EndToEndFixture.ImageCount, 0), report.Counts);
        Assert.Equal(cluster.Expected.Select(e => e.Name).Order(StringComparer.Ordinal), report.Images.Select(i => i.Name));
        Assert.All(report.Images, i => Assert.Equal($"masks/{i.Name}", i.Mask));
        Assert.All(report.Images, i => Assert.True(i.Tiles >= 1, $"{i.Name}: {i.Tiles} tiles"));
        Assert.Equal(report.Images.Sum(i => i.Tiles), report.Throughput.Tiles);
        Assert.Equal(EndToEndFixture.ImageCount, report.ImagesBySilo.Values.Sum());
        Assert.Empty(report.Failures);
        Assert.DoesNotContain(id, await cluster.Client.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key).GetActiveAsync());

        var workers = await cluster.Client.GetGrain<IClusterViewGrain>(IClusterViewGrain.Key).GetWorkersAsync();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.Equal("cpu", w.Report.Device));
        Assert.All(workers, w => Assert.True(w.Answering, $"{w.Report.WorkerId} last heard {w.Age} ago"));
        Assert.Equal(2, workers.Select(w => w.Report.Silo).Distinct().Count());
        Assert.Subset(workers.Select(w => w.Report.Silo).ToHashSet(), report.ImagesBySilo.Keys.ToHashSet());
    }

    [Fact]
    public async Task OmeTiffMasksOfWholeImagesAndBandsAreThoseOfAOneMachineRunWithTheInputsPixelSize()
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.File(id + "-ome");
        var output = cluster.Temp.File(id);
        var images = new[] { ("large.tif", 333, 290), ("small.ome.tif", 60, 50) };
        foreach (var (name, width, height) in images)
        {
            // A microscope's TIFF: 0.5 µm pixels, said as 20,000 pixels per centimetre.
            var png = Path.Combine(input, Path.ChangeExtension(name, ".png"));
            EndToEndFixture.WriteImage(png, width, height, seed: width);
            using (var image = Image.NewFromFile(png))
            {
                image.Tiffsave(Path.Combine(input, name), resunit: Enums.ForeignTiffResunit.Cm, xres: 2000, yres: 2000);
            }

            File.Delete(png);
        }

        var job = cluster.Client.GetGrain<IJobGrain>(id);
        var spec = new JobSpec
        {
            Input = input,
            Output = output,
            Model = cluster.Model,
            Probabilities = true,
            MaskFormat = "ome-tiff",
            RegionPixels = 20_000,
            RegionSize = 96,
        };

        await job.SubmitAsync(spec);
        var status = await Work.WaitUntilFinishedAsync(job, Patience);

        Assert.True(status.State == JobState.Completed, $"{status.State}: {string.Join("; ", status.Failures.Select(f => $"{f.Name}: {f.Reason}"))} {status.Error}");
        using var engine = SegmentationEngine.Create(
            ModelFile.Load(cluster.Model),
            new SegmentationOptions { Probabilities = true, MaskFormat = MaskFormat.OmeTiff, Device = new DeviceSessionOptions { IntraOpThreads = 1 } },
            NullLogger.Instance);
        foreach (var (name, stem) in new[] { ("large.tif", "large"), ("small.ome.tif", "small") })
        {
            var alone = await engine.SegmentAsync(name, await File.ReadAllBytesAsync(Path.Combine(input, name)), null, CancellationToken.None);
            Assert.Equal(alone.MaskFile, await File.ReadAllBytesAsync(Path.Combine(output, "masks", stem + ".ome.tif")));
            Assert.Equal(alone.ProbabilityFile, await File.ReadAllBytesAsync(Path.Combine(output, "probabilities", stem + ".ome.tif")));
            using var mask = Image.NewFromFile(Path.Combine(output, "masks", stem + ".ome.tif"));
            var pixels = XDocument.Parse((string)mask.Get("image-description")).Descendants().Single(e => e.Name.LocalName == "Pixels");
            Assert.Equal(0.5, (double)pixels.Attribute("PhysicalSizeX")!, 6);
        }

        var report = await Work.ReadReportAsync(output);
        Assert.Equal(["masks/large.ome.tif", "masks/small.ome.tif"], report.Images.Select(i => i.Mask));
        var html = await File.ReadAllTextAsync(Path.Combine(output, JobReport.PageFileName));
        Assert.Equal(2, Regex.Count(html, "<img"));
        Assert.DoesNotContain("No thumbnail", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("large.png")]
    [InlineData("large.tif")]
    public async Task ALargeImageSharedOutAsBandsGetsTheFilesOfAOneMachineRun(string name)
    {
        var id = Work.NewJobId();
        var input = cluster.Temp.File(id + "-large");
        var output = cluster.Temp.File(id);
        var image = Path.Combine(input, name);
        EndToEndFixture.WriteImage(image, 333, 290, seed: 9);
        if (name.EndsWith(".tif", StringComparison.Ordinal))
        {
            // A tiled TIFF, as whole-slide images are stored: its bands are read by region.
            using var png = NetVips.Image.NewFromFile(image);
            var tiled = png.TiffsaveBuffer(tile: true, tileWidth: 64, tileHeight: 64, compression: NetVips.Enums.ForeignTiffCompression.Deflate);
            await File.WriteAllBytesAsync(image, tiled);
        }
        var job = cluster.Client.GetGrain<IJobGrain>(id);
        var spec = new JobSpec
        {
            Input = input,
            Output = output,
            Model = cluster.Model,
            Probabilities = true,
            Overlays = true,
            RegionPixels = 20_000,
            RegionSize = 96,
        };

        await job.SubmitAsync(spec);
        var status = await Work.WaitUntilFinishedAsync(job, Patience);

        Assert.True(status.State == JobState.Completed, $"{status.State}: {string.Join("; ", status.Failures.Select(f => $"{f.Name}: {f.Reason}"))} {status.Error}");
        Assert.Equal((1, 1, 0), (status.Total, status.Done, status.Failed));
        using var engine = SegmentationEngine.Create(
            ModelFile.Load(cluster.Model),
            new SegmentationOptions { Probabilities = true, Overlays = true, Device = new DeviceSessionOptions { IntraOpThreads = 1 } },
            NullLogger.Instance);
        var alone = await engine.SegmentAsync(name, await File.ReadAllBytesAsync(image), null, CancellationToken.None);
        Assert.Equal(alone.MaskFile, await File.ReadAllBytesAsync(Path.Combine(output, "masks", "large.png")));
        Assert.Equal(alone.ProbabilityFile, await File.ReadAllBytesAsync(Path.Combine(output, "probabilities", "large.png")));
        Assert.Equal(alone.OverlayPng, await File.ReadAllBytesAsync(Path.Combine(output, "overlays", "large.png")));
        Assert.False(Directory.Exists(Path.Combine(output, OutputNames.BandParts)), "band parts are removed when the job ends");

        var report = await Work.ReadReportAsync(output);
        var entry = Assert.Single(report.Images);
        Assert.Equal((333, 290), (entry.Width, entry.Height));
        Assert.True(entry.Tiles > alone.Tiles, $"{entry.Tiles} tiles over the bands, {alone.Tiles} for the whole image: tiles on the cuts are computed by both sides");
        Assert.Equal(alone.Summary.Classes[0].ObjectCount, entry.Classes[0].ObjectCount);
    }
}
