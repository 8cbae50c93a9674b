using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// Turns a model's foreground probabilities and mask into a label image with touching nuclei apart: a
/// marker-controlled watershed on the mask's distance map, smoothed and weighted by the probability.
/// </summary>
public static class InstanceSeparation
{
    /// <summary>The label image: 0 background, ids 1…N in the order their first pixel is met row by row.</summary>
    /// <param name="probabilities">Foreground probability per pixel, 0 to 1.</param>
    /// <param name="mask">Foreground pixels.</param>
    public static int[] Label(float[] probabilities, ReadOnlySpan<bool> mask, int width, int height, InstanceSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(probabilities.Length, width * height, nameof(probabilities));
        var relief = DistanceTransform.Euclidean(mask, width, height);
        if (settings.Smoothing > 0)
        {
            relief = GaussianBlur.Blur(relief, width, height, settings.Smoothing);
        }

        if (settings.ProbabilityPower > 0)
        {
            for (var i = 0; i < relief.Length; i++)
            {
                relief[i] *= MathF.Pow(probabilities[i], (float)settings.ProbabilityPower);
            }
        }

        return Watershed.Flood(relief, mask, width, height, settings.MinimumDepth, settings.MinObjectSize);
    }
}
