using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Training;

/// <summary>
/// Turns a training image's [0, 1] samples into what the model sees: intensities changed at random
/// when <c>augment</c> is set (<see cref="IntensityAugmentation"/>), then normalised as the model card says, with a per-image normalisation measured
/// on the whole image, exactly as <see cref="ImageDecoder.Decode"/> does at inference.
/// </summary>
public sealed class TrainingInput(InputNormalization normalization, bool augment)
{
    /// <summary>The whole image, planar as <see cref="ImageTensor.Data"/>; <paramref name="random"/> draws the augmentation, if any.</summary>
    public float[] Prepare(ImageTensor image, Random random)
    {
        var samples = augment ? IntensityAugmentation.Apply(image.Data, random) : image.Data;
        var plane = image.Height * image.Width;

        // Statistics of the whole image, not of the crop: inference measures the whole image, so a crop
        // with few nuclei must be scaled as it is within its image, not stretched to its own range.
        IntensityStatistics? statistics = null;
        if (normalization.PerImage)
        {
            statistics = new IntensityStatistics(image.Channels);
            for (var c = 0; c < image.Channels; c++)
            {
                statistics.Add(c, samples.AsSpan(c * plane, plane));
            }
        }

        var (offset, divisor) = normalization.For(statistics);
        var input = new float[samples.Length];
        for (var c = 0; c < image.Channels; c++)
        {
            var (m, s) = (offset[c], divisor[c]);
            for (var i = c * plane; i < (c + 1) * plane; i++)
            {
                input[i] = (samples[i] - m) / s;
            }
        }

        return input;
    }
}
