using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Objects;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

public sealed class InstanceLabellerTests
{
    private static readonly InstanceSettings Settings = InstanceSettings.Default(minObjectSize: 5);

    [Fact]
    public void TwoTouchingDisksBecomeTwoObjectsAndASpeckIsLeftOut()
    {
        const int width = 60, height = 40;
        var mask = new byte[width * height];
        Disk(mask, width, 18, 20, 9);
        Disk(mask, width, 34, 20, 9);
        mask[(2 * width) + 55] = 255;

        var (labels, objects) = Run(mask, width, height, Settings);

        Assert.Equal([1, 2], objects.Select(o => o.Id));
        Assert.Equal(0, labels[(2 * width) + 55]);
        Assert.Equal(1, labels[(20 * width) + 14]);
        Assert.Equal(2, labels[(20 * width) + 38]);
        Assert.All(objects, o => Assert.Equal(1, o.ClassIndex));
        Assert.Equal(mask.Count(v => v != 0) - 1, objects.Sum(o => o.Pixels.Count(p => p)));
        foreach (var found in objects)
        {
            // Every pixel of an object's crop that is its own carries its id in the label image.
            for (var i = 0; i < found.Pixels.Length; i++)
            {
                var (x, y) = (found.Box.X + (i % found.Box.Width), found.Box.Y + (i / found.Box.Width));
                Assert.Equal(found.Pixels[i], labels[(y * width) + x] == found.Id);
            }
        }
    }

    [Fact]
    public void IdsFollowEachObjectsFirstPixelInRasterOrderWhicheverRegionClosesFirst()
    {
        // The tall region on the left starts first but closes last; the small ones to its right get later ids by their first pixel.
        var mask = Mask(
            "aa......",
            "aa..bb..",
            "aa..bb..",
            "aa......",
            "aa...cc.",
            "aa...cc.",
            "aa......");
        var (labels, objects) = Run(mask, 8, 7, InstanceSettings.Default(minObjectSize: 1));

        Assert.Equal([1, 2, 3], objects.Select(o => o.Id));
        Assert.Equal(Mask(
            "11......",
            "11..22..",
            "11..22..",
            "11......",
            "11...33.",
            "11...33.",
            "11......").Select(v => (int)v), labels);
    }

    [Fact]
    public void ClassesAreSeparatedAndKeptWithTheirObjects()
    {
        // Two classes side by side touch but are never one object.
        var mask = Mask(
            "111222",
            "111222",
            "111222");
        var (labels, objects) = Run(mask, 6, 3, InstanceSettings.Default(minObjectSize: 1), classes: 3);

        Assert.Equal([(1, 1), (2, 2)], objects.Select(o => (o.Id, o.ClassIndex)));
        Assert.Equal([1, 1, 1, 2, 2, 2], labels.Take(6));
    }

    [Fact]
    public void EachObjectCarriesTheSamplesAndProbabilitiesUnderIt()
    {
        var mask = Mask(
            "....",
            ".11.",
            ".11.");
        var probability = Enumerable.Range(0, 12).Select(i => (ushort)(i * 1000)).ToArray();
        var samples = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        var sink = new Collector(4);
        var labeller = new InstanceLabeller(4, 3, 1, 2, InstanceSettings.Default(minObjectSize: 1), sink);
        for (var y = 0; y < 3; y++)
        {
            var row = samples.AsSpan(y * 4, 4).ToArray();
            labeller.AddRow(mask.AsSpan(y * 4, 4), probability.AsSpan(y * 4, 4), [.. row, .. row.Select(v => v * 10)]);
        }

        labeller.Finish();
        var found = Assert.Single(sink.Objects);
        Assert.Equal(new(1, 1, 2, 2), found.Box);
        Assert.Equal([5f, 6f, 9f, 10f], found.Channels[0]);
        Assert.Equal([50f, 60f, 90f, 100f], found.Channels[1]);
        Assert.Equal(5000f / ushort.MaxValue, found.Probability[0], 6);
    }

    [Fact]
    public void ACrowdedFieldIsSplitIntoMoreObjectsThanRegionsWithIdsOneToN()
    {
        var field = new SyntheticNuclei(256, 256, seed: 7, crowded: true).Draw(0);
        var mask = field.Mask.Select(v => v == 0 ? (byte)0 : (byte)255).ToArray();
        var (labels, objects) = Run(mask, 256, 256, Settings);

        Assert.True(objects.Count > 40, $"{objects.Count} objects");
        Assert.Equal(Enumerable.Range(1, objects.Count), objects.Select(o => o.Id));
        var regions = Enumerable.Range(0, 256 * 256).Where(i => mask[i] != 0).GroupBy(i => labels[i]).ToList();
        Assert.Equal(objects.Count, regions.Count(g => g.Key != 0));

        // Touching nuclei were split: there are more objects than connected regions.
        var components = UNetPP.Cluster.Segmentation.Masks.ConnectedComponents.AreasByLabel(mask, 256, 256)[255].Count;
        Assert.True(objects.Count > components + 5, $"{objects.Count} objects from {components} regions");
    }

    [Fact]
    public void ATallRegionHoldsItsRowsUntilItCloses()
    {
        const int width = 5, height = 300;
        var mask = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            mask[(y * width) + 1] = 255;
        }

        var sink = new Collector(width);
        var labeller = new InstanceLabeller(width, height, 1, 0, InstanceSettings.Default(minObjectSize: 1), sink);
        for (var y = 0; y < height; y++)
        {
            labeller.AddRow(mask.AsSpan(y * width, width), new ushort[width], []);
            Assert.Equal(y == height - 1 ? height : 0, sink.Rows.Count);
        }

        labeller.Finish();
        Assert.Single(sink.Objects);
    }

    [Fact]
    public void ATallCrowdedImageIsWrittenAFewRowsBehindItsInputWhateverItsHeight()
    {
        // Twenty crowded fields stacked: thousands of nuclei, and rows held only while a region of touching nuclei is
        // open, so never more than a field's height behind however tall the image is.
        const int width = 256, height = 256 * 20;
        var fields = Enumerable.Range(0, 20).Select(i => new SyntheticNuclei(width, 256, seed: 30 + i, crowded: true).Draw(0).Mask).ToArray();
        var sink = new Collector(width);
        var labeller = new InstanceLabeller(width, height, 1, 0, Settings, sink);
        var probability = Enumerable.Repeat(ushort.MaxValue, width).ToArray();
        var lag = 0;
        for (var y = 0; y < height; y++)
        {
            var row = fields[y / 256].AsSpan((y % 256) * width, width).ToArray().Select(v => v == 0 ? (byte)0 : (byte)255).ToArray();
            labeller.AddRow(row, probability, []);
            lag = Math.Max(lag, y + 1 - sink.Rows.Count);
        }

        labeller.Finish();
        Assert.True(sink.Objects.Count > 1000, $"{sink.Objects.Count} objects");
        Assert.True(lag < 256, $"rows were held {lag} behind the input");
    }

    [Fact]
    public void AnEmptyMaskGivesNoObjectsAndAllRows()
    {
        var (labels, objects) = Run(new byte[20], 5, 4, Settings);
        Assert.Empty(objects);
        Assert.All(labels, v => Assert.Equal(0, v));
    }

    private static (int[] Labels, List<ImageObject> Objects) Run(byte[] mask, int width, int height, InstanceSettings settings, int classes = 1)
    {
        var sink = new Collector(width);
        var labeller = new InstanceLabeller(width, height, classes, 0, settings, sink);
        var probability = new ushort[width];
        Array.Fill(probability, ushort.MaxValue);
        for (var y = 0; y < height; y++)
        {
            labeller.AddRow(mask.AsSpan(y * width, width), probability, []);
        }

        labeller.Finish();
        Assert.Equal(height, sink.Rows.Count);
        Assert.Equal(labeller.Objects, sink.Objects.Count);
        return ([.. sink.Rows.SelectMany(r => r)], sink.Objects);
    }

    private static byte[] Mask(params string[] rows) =>
        [.. rows.SelectMany(row => row).Select(c => c == '.' ? (byte)0 : c is >= '1' and <= '9' ? (byte)(c - '0') : (byte)255)];

    private static void Disk(byte[] mask, int width, int cx, int cy, int r)
    {
        for (var y = cy - r; y <= cy + r; y++)
        {
            for (var x = cx - r; x <= cx + r; x++)
            {
                if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r)
                {
                    mask[(y * width) + x] = 255;
                }
            }
        }
    }

    private sealed class Collector(int width) : IInstanceSink
    {
        public List<ImageObject> Objects { get; } = [];

        public List<int[]> Rows { get; } = [];

        public void Add(ImageObject image) => Objects.Add(image);

        public void WriteRow(ReadOnlySpan<int> ids)
        {
            Assert.Equal(width, ids.Length);
            Rows.Add(ids.ToArray());
        }
    }
}
