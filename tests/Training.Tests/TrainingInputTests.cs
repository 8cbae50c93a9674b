using NetVips;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>What the model is trained on is what the engine gives it at inference, for the same intensities.</summary>
public sealed class TrainingInputTests : IDisposable
{
    private static readonly InputNormalization Percentile = InputNormalization.ImageNet with { Method = InputNormalization.Percentile };

    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AnAugmentedImageIsNormalisedAsTheEngineDecodesItStoredAsA16BitTiff()
    {
        var image = await NucleiImage();
        var augmented = IntensityAugmentation.Apply(image.Data, new Random(9));

        var prepared = new TrainingInput(Percentile, augment: true).Prepare(image, new Random(9));

        var decoded = new ImageDecoder(new ImageDecoderOptions()).Decode("augmented.tif", Tiff16(augmented, image), new InputSpec(3, false, Percentile));
        Assert.Equal(decoded.Data.Length, prepared.Length);
        for (var i = 0; i < prepared.Length; i++)
        {
            Assert.True(MathF.Abs(decoded.Data[i] - prepared[i]) < 1e-5f, $"sample {i}: trained on {prepared[i]}, inferred on {decoded.Data[i]}");
        }
    }

    [Fact]
    public async Task EveryAugmentedImageHasItsOwnPercentilesAtZeroAndOne()
    {
        var image = await NucleiImage();
        var input = new TrainingInput(Percentile, augment: true);
        var random = new Random(3);

        for (var draw = 0; draw < 8; draw++)
        {
            var prepared = input.Prepare(image, random);

            var statistics = new IntensityStatistics(1);
            statistics.Add(0, prepared.AsSpan(0, image.Width * image.Height));
            Assert.Equal(0, statistics.Percentile(0, Percentile.Low), 4);
            Assert.Equal(1, statistics.Percentile(0, Percentile.High), 4);
        }
    }

    [Fact]
    public async Task AFixedNormalisationWithoutAugmentationIsTheEnginesOwn()
    {
        var image = await NucleiImage();
        var spec = ModelCard.ForNestedUNet(TrainingTestKit.Small()).ToInputSpec();
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_folder, "data", "images", "nuclei-000.png"));

        var prepared = new TrainingInput(spec.Normalization, augment: false).Prepare(image, new Random(1));

        Assert.Equal(new ImageDecoder(new ImageDecoderOptions()).Decode("nuclei-000.png", bytes, spec).Data, prepared);
    }

    /// <summary>One synthetic nuclei image as training loads it: samples in [0, 1], not normalised.</summary>
    private async Task<ImageTensor> NucleiImage()
    {
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 1, width: 80, height: 64, seed: 7);
        var examples = await TrainingData.LoadAsync(new LocalObjectStore(data), data, ModelCard.ForNestedUNet(TrainingTestKit.Small()).ToInputSpec(), null, CancellationToken.None);
        return examples[0].Image;
    }

    /// <summary>Planar [0, 1] samples written as the 16-bit TIFF a lab would store them in.</summary>
    private static byte[] Tiff16(float[] planar, ImageTensor shape)
    {
        var plane = shape.Width * shape.Height;
        var samples = new ushort[planar.Length];
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < shape.Channels; c++)
            {
                samples[(p * shape.Channels) + c] = (ushort)MathF.Round(planar[(c * plane) + p] * 65535);
            }
        }

        using var image = Image.NewFromMemory(samples, shape.Width, shape.Height, shape.Channels, Enums.BandFormat.Ushort)
            .Copy(interpretation: Enums.Interpretation.Rgb16);
        return image.TiffsaveBuffer();
    }
}
