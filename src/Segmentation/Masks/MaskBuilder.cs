namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>Turns blended probabilities [K, H, W] into masks and 16-bit probability maps.</summary>
public static class MaskBuilder
{
    public const float DefaultThreshold = 0.5f;

    /// <summary>
    /// K = 1: a pixel is foreground (255) when p ≥ <paramref name="threshold"/>. K &gt; 1: a pixel takes
    /// the class of highest probability (the lowest index on ties); the threshold is not used.
    /// </summary>
    public static SegmentationMask Build(ReadOnlySpan<float> probabilities, int classes, int height, int width, float threshold = DefaultThreshold)
    {
        var plane = CheckShape(probabilities, classes, height, width);
        var labels = new byte[plane];
        if (classes == 1)
        {
            for (var i = 0; i < plane; i++)
            {
                labels[i] = probabilities[i] >= threshold ? SegmentationMask.BinaryForeground : (byte)0;
            }
        }
        else
        {
            for (var i = 0; i < plane; i++)
            {
                var best = 0;
                var bestProbability = probabilities[i];
                for (var k = 1; k < classes; k++)
                {
                    var p = probabilities[(k * plane) + i];
                    if (p > bestProbability)
                    {
                        best = k;
                        bestProbability = p;
                    }
                }

                labels[i] = (byte)best;
            }
        }

        return new SegmentationMask(width, height, classes, labels);
    }

    /// <summary>
    /// The probability that a pixel is foreground, as round(p × 65535): p itself for K = 1, and
    /// 1 − p(background) for K &gt; 1. Foreground rather than winning-class probability keeps one meaning
    /// for every model and can be thresholded like a one-output map.
    /// </summary>
    public static ushort[] ProbabilityMap16(ReadOnlySpan<float> probabilities, int classes, int height, int width)
    {
        var plane = CheckShape(probabilities, classes, height, width);
        var map = new ushort[plane];
        for (var i = 0; i < plane; i++)
        {
            var p = classes == 1 ? probabilities[i] : 1f - probabilities[i];
            map[i] = (ushort)MathF.Round(Math.Clamp(p, 0f, 1f) * ushort.MaxValue);
        }

        return map;
    }

    private static int CheckShape(ReadOnlySpan<float> probabilities, int classes, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if ((long)classes * height * width != probabilities.Length)
        {
            throw new ArgumentException($"Expected {classes}×{height}×{width} probabilities, got {probabilities.Length}.", nameof(probabilities));
        }

        return height * width;
    }
}
