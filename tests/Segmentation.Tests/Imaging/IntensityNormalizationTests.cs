using NetVips;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Segmentation.Tests.Engine;
using Xunit;
using Xunit.Abstractions;

namespace UNetPP.Cluster.Segmentation.Tests.Imaging;

public sealed class IntensityNormalizationTests(ITestOutputHelper output)
{
    private static readonly ImageDecoder Decoder = new(new ImageDecoderOptions());

    private static InputSpec Gray(string method) =>
        new(1, false, new InputNormalization([0.5f], [0.5f]) { Method = method });

    [Fact]
    public void PercentilesOfAKnownImageAreNumpysToTheLastDigit()
    {
        // Values 0, 7, 14, … 6993 in a 16-bit file, stored shuffled: numpy.percentile gives 69.93 at 1 %
        // and 6979.014 at 99.8 % (rank 9.99 and 997.002, linear between neighbours).
        const int width = 40, height = 25;
        var samples = Enumerable.Range(0, width * height).Select(i => (ushort)(((i * 379) % (width * height)) * 7)).ToArray();
        var tensor = Decoder.Decode("ramp.tif", TestImages.Tiff16(samples, width, height, 1), Gray(InputNormalization.Percentile));

        var (low, high) = (69.93, 6979.014);
        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal((samples[i] - low) / (high - low), tensor.Data[i], 4e-6);
        }

        // Not clipped: the darkest and brightest values go past 0 and 1, as CSBDeep and bioimage.io leave them.
        Assert.True(tensor.Data.Min() < 0 && tensor.Data.Max() > 1);
    }

    [Fact]
    public void PercentilesBetweenRanksInterpolateAndAFlatImageBecomesZero()
    {
        var statistics = new IntensityStatistics(1);
        statistics.Add(0, [10 / 255f, 20 / 255f, 30 / 255f, 40 / 255f]);

        Assert.Equal(25 / 255.0, statistics.Percentile(0, 50), 12);
        Assert.Equal(10 / 255.0, statistics.Percentile(0, 0), 12);
        Assert.Equal(40 / 255.0, statistics.Percentile(0, 100), 12);
        Assert.Equal(13 / 255.0, statistics.Percentile(0, 10), 12);

        var flat = Decoder.Decode("flat.png", TestImages.Png(Enumerable.Repeat((byte)90, 64).ToArray(), 8, 8, 1), Gray(InputNormalization.Percentile));
        Assert.All(flat.Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EightBitValuesFollowedBySixteenBitOnesGiveTheRanksOfAllOfThem()
    {
        // 8-bit values are counted on a coarse grid until the first value between its points arrives;
        // every statistic must then be what the sorted values themselves give.
        var random = new Random(5);
        var bytes = Enumerable.Range(0, 3000).Select(_ => random.Next(256) / 255f).ToArray();
        var words = Enumerable.Range(0, 500).Select(_ => random.Next(65536) / 65535f).ToArray();
        var statistics = new IntensityStatistics(1);
        statistics.Add(0, bytes);
        var eightBitHigh = statistics.Percentile(0, 99.8);
        statistics.Add(0, words);

        var sorted = bytes.Concat(words).Select(v => Math.Round(v * 65535.0) / 65535).Order().ToArray();
        double Rank(double percent)
        {
            var rank = percent / 100 * (sorted.Length - 1);
            var below = (int)Math.Floor(rank);
            return below + 1 < sorted.Length ? sorted[below] + ((rank - below) * (sorted[below + 1] - sorted[below])) : sorted[below];
        }

        foreach (var percent in new[] { 0, 1, 37.5, 50, 99.8, 100 })
        {
            Assert.Equal(Rank(percent), statistics.Percentile(0, percent), 12);
        }

        Assert.Equal(sorted.Average(), statistics.Mean(0), 12);
        var exactHigh = bytes.Select(v => Math.Round(v * 255.0) / 255).Order().ElementAt((int)Math.Floor(0.998 * (bytes.Length - 1)));
        Assert.True(Math.Abs(eightBitHigh - exactHigh) < 1 / 255.0, $"8-bit 99.8th percentile {eightBitHigh} against {exactHigh}");
    }

    [Fact]
    public void ValuesOffTheSampleGridAreKeptExactly()
    {
        var statistics = new IntensityStatistics(1);
        statistics.Add(0, [0.5f, 0.25f]);
        statistics.Add(0, [0.1234567f, 0.75f]);

        Assert.Equal(0.1234567f, (float)statistics.Percentile(0, 0));
        Assert.Equal((0.25 + 0.5) / 2, statistics.Percentile(0, 50), 6);
    }

    [Fact]
    public void OnlyAGiantImageOffTheSampleGridIsTooLargeToMeasureWhileStreaming()
    {
        Assert.Null(IntensityStatistics.WhyNotMeasurable(onGrid: true, 3L * 40_000 * 40_000));
        Assert.Null(IntensityStatistics.WhyNotMeasurable(onGrid: false, 4096L * 4096));
        Assert.Contains("--normalize fixed", IntensityStatistics.WhyNotMeasurable(onGrid: false, 3L * 40_000 * 40_000), StringComparison.Ordinal);
    }

    [Fact]
    public void ZScoreGivesTheImagesOwnZeroMeanAndUnitVariance()
    {
        // 0, 10, 20, 30 repeated: mean 15, population standard deviation √125.
        var samples = Enumerable.Range(0, 64).Select(i => (byte)(i % 4 * 10)).ToArray();
        var tensor = Decoder.Decode("steps.png", TestImages.Png(samples, 8, 8, 1), Gray(InputNormalization.ZScore));

        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal((samples[i] - 15) / Math.Sqrt(125), tensor.Data[i], 5);
        }

        Assert.Equal(0, tensor.Data.Average(v => (double)v), 6);
        Assert.Equal(1, Math.Sqrt(tensor.Data.Average(v => (double)v * v)), 5);
    }

    [Fact]
    public void EachChannelIsNormalisedByItsOwnValues()
    {
        // Red spans 0…255, green only 0…15: both end up spanning the same range.
        var samples = Enumerable.Range(0, 256).SelectMany(i => new[] { (byte)i, (byte)(i / 16), (byte)0 }).ToArray();
        var spec = new InputSpec(3, false, InputNormalization.ImageNet with { Method = InputNormalization.ZScore });
        var tensor = Decoder.Decode("channels.png", TestImages.Png(samples, 16, 16, 3), spec);

        var plane = 256;
        var red = tensor.Data.AsSpan(0, plane).ToArray();
        var green = tensor.Data.AsSpan(plane, plane).ToArray();
        Assert.InRange(Math.Abs(red.Max() - green.Max()), 0, 0.15);
        Assert.Equal(0, green.Average(v => (double)v), 5);
        Assert.All(tensor.Data.AsSpan(2 * plane, plane).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheSameSceneAt8_12And16BitGivesTheSameInputUnderPercentile()
    {
        var (rgb, width, height) = Scene();
        var spec = new InputSpec(3, false, InputNormalization.ImageNet with { Method = InputNormalization.Percentile });
        var eight = Decoder.Decode("scene-8.tif", TestImages.Tiff(rgb, width, height, 3), spec);
        var twelve = Decoder.Decode("scene-12.tif", Tiff16(rgb, width, height, 16), spec);
        var sixteen = Decoder.Decode("scene-16.tif", Tiff16(rgb, width, height, 257), spec);

        Assert.Equal(eight.Data, twelve.Data, new FloatNear(1e-5f));
        Assert.Equal(eight.Data, sixteen.Data, new FloatNear(1e-5f));
    }

    [Fact]
    public async Task TheShippedModelGivesTheSameMasksAt8_12And16BitWithPercentileAndWarnsOfFaintDataWhenFixed()
    {
        var (rgb, width, height) = Scene();
        var (_, truthPng) = new SyntheticNuclei(width, height, Seed).Create(0);
        var truth = new GroundTruth("truth.png", truthPng);
        var files = new[] { ("8-bit", TestImages.Tiff(rgb, width, height, 3)), ("12-bit", Tiff16(rgb, width, height, 16)), ("16-bit", Tiff16(rgb, width, height, 257)) };

        async Task<SegmentedImage[]> SegmentAll(string? normalize)
        {
            var options = new SegmentationOptions { TileSize = 128, Normalize = normalize is null ? null : NormalizationChoice.Parse(normalize) };
            using var engine = EngineTestKit.Engine(DefaultModel.Load(), options);
            var results = new List<SegmentedImage>();
            foreach (var (depth, bytes) in files)
            {
                var result = await engine.SegmentAsync($"scene-{depth}.tif", bytes, truth, CancellationToken.None);
                output.WriteLine($"{normalize ?? "card (percentile)"}, {depth}: IoU {result.Quality!.Single().IoU:F4}{(result.Warning is null ? "" : ", warned")}");
                results.Add(result);
            }

            return [.. results];
        }

        // The shipped model's card says percentile: as it comes, it gives every bit depth the same masks.
        Assert.Equal(InputNormalization.Percentile, DefaultModel.Load().Card.Normalization.Method);
        var percentile = await SegmentAll(null);
        var masks = percentile.Select(r => EngineTestKit.ReadPng(r.MaskFile).Samples).ToArray();
        foreach (var other in masks.Skip(1))
        {
            Assert.InRange(masks[0].Zip(other).Count(p => p.First != p.Second), 0, masks[0].Length / 1000);
        }

        // Equal empty masks would prove nothing: the model must find nuclei in all three.
        Assert.All(masks, m => Assert.InRange(m.Count(v => v != 0), m.Length / 50, m.Length));
        Assert.All(percentile, r => Assert.Null(r.Warning));

        var fixedRuns = await SegmentAll("fixed");
        Assert.Null(fixedRuns[0].Warning);
        Assert.Equal(SegmentationEngine.FaintWarning, fixedRuns[1].Warning);
        Assert.Null(fixedRuns[2].Warning);
    }

    [Fact]
    public async Task TheSampleMaskIsTheBytesTheShippedModelWrote()
    {
        const string name = "field-000.png", sha256 = "5b6c7a201fa94179bf7e12b344b2013ce6e39e85053d0b7f663bede2617d4537";
        // The hash of the mask the README's sample run writes with the shipped model (percentile card): a
        // change to decoding, per-image statistics or inference shows here as different bytes.
        var image = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", "images", name));
        using var engine = EngineTestKit.Engine(DefaultModel.Load());

        var result = await engine.SegmentAsync(name, image, null, CancellationToken.None);

        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(result.MaskFile)));
        Assert.Null(result.Warning);
    }

    [Fact]
    public void ACardSaysItsMethodReadsItBackAndRefusesAnUnknownOne()
    {
        var card = DefaultModel.Load().Card with { Normalization = InputNormalization.ImageNet with { Method = InputNormalization.Percentile, Low = 2, High = 99 } };

        var json = card.ToJson();
        var read = ModelCard.FromJson(json).Normalization;

        Assert.Contains("\"method\": \"percentile\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("perImage", json, StringComparison.Ordinal);
        Assert.Equal((InputNormalization.Percentile, 2.0, 99.0), (read.Method, read.Low, read.High));
        Assert.Equal(InputNormalization.Fixed, ModelCard.FromJson(json.Replace("\"method\": \"percentile\",", "", StringComparison.Ordinal)).Normalization.Method);
        var refusal = Assert.Throws<InvalidDataException>(() => ModelCard.FromJson(json.Replace("\"percentile\"", "\"minmax\"", StringComparison.Ordinal)));
        Assert.Contains("'minmax'", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyIntegerImagesReachingAnEighthOfTheirRangeAreFaint()
    {
        Assert.True(ImageDecoder.IsFaint(Enums.BandFormat.Ushort, 4095 / 65535f));
        Assert.True(ImageDecoder.IsFaint(Enums.BandFormat.Uchar, 31 / 255f));
        Assert.False(ImageDecoder.IsFaint(Enums.BandFormat.Uchar, 32 / 255f));
        Assert.False(ImageDecoder.IsFaint(Enums.BandFormat.Float, 0.01f));
    }

    [Theory]
    [InlineData("fixed", "fixed")]
    [InlineData("Percentile", "percentile:1,99.8")]
    [InlineData("percentile:2,99", "percentile:2,99")]
    [InlineData("zscore", "zscore")]
    public void TheOptionReadsItsWords(string text, string words)
    {
        var choice = NormalizationChoice.Parse(text);

        Assert.Equal(words, choice.ToString());
        Assert.Equal(choice, NormalizationChoice.Parse(choice.ToString()));
    }

    [Theory]
    [InlineData("minmax", "use fixed, percentile")]
    [InlineData("percentile:99,1", "0 <= low < high <= 100")]
    [InlineData("percentile:1", "use fixed, percentile")]
    [InlineData("zscore:1,2", "use fixed, percentile")]
    public void AWrongOptionIsRefusedWithItsName(string text, string reason)
    {
        var refusal = Assert.Throws<ArgumentException>(() => NormalizationChoice.Parse(text));

        Assert.StartsWith($"--normalize {text}: ", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    private const int Seed = 19;

    /// <summary>A synthetic nuclei field as 8-bit RGB samples.</summary>
    private static (byte[] Rgb, int Width, int Height) Scene()
    {
        var (png, _) = new SyntheticNuclei(192, 160, Seed).Create(0);
        var (width, height, _, _, samples) = EngineTestKit.ReadPng(png);
        return ([.. samples.Select(s => (byte)s)], width, height);
    }

    /// <summary>The 8-bit samples times <paramref name="factor"/> in a 16-bit TIFF: ×16 is 12-bit data, ×257 the full range.</summary>
    private static byte[] Tiff16(byte[] rgb, int width, int height, int factor) =>
        TestImages.Tiff16([.. rgb.Select(s => (ushort)(s * factor))], width, height, 3);

    private sealed class FloatNear(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
