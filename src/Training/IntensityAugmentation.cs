namespace UNetPP.Cluster.Training;

/// <summary>
/// Random changes a lab's microscopes and files make to the intensities of one scene: exposure (a gain),
/// gamma, a background offset, and storage at 8 bits, as 12-bit data in a 16-bit file (at most 4095 of
/// 65535) or at full 16 bits. Applied to an image's samples scaled to [0, 1]; a model trained on them
/// under a per-image normalisation gives the same masks whichever of these it is shown.
/// </summary>
public static class IntensityAugmentation
{
    /// <summary>The dimmest exposure, as a share of the brightest.</summary>
    private const double LeastGain = 0.5;

    /// <summary>Gamma is drawn between its inverse and it.</summary>
    private const double MostGamma = 1.1;

    /// <summary>The largest background offset, as a share of the full range.</summary>
    private const double MostOffset = 0.02;

    /// <summary>Levels of the stored data and the maximum of its file's sample type.</summary>
    private static readonly (float Levels, float Container)[] Storage = [(255, 255), (4095, 65535), (65535, 65535)];

    /// <summary>The samples as another exposure, gamma, offset and bit depth, drawn from <paramref name="random"/>, would store them.</summary>
    public static float[] Apply(ReadOnlySpan<float> samples, Random random)
    {
        var gain = (float)Math.Exp(Uniform(random, Math.Log(LeastGain), 0));
        var gamma = (float)Math.Exp(Uniform(random, -Math.Log(MostGamma), Math.Log(MostGamma)));
        var offset = (float)Uniform(random, 0, MostOffset);
        var (levels, container) = Storage[random.Next(Storage.Length)];
        var changed = new float[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            var value = Math.Clamp(offset + (gain * MathF.Pow(samples[i], gamma)), 0f, 1f);
            changed[i] = MathF.Round(value * levels) / container;
        }

        return changed;
    }

    private static double Uniform(Random random, double from, double to) => from + (random.NextDouble() * (to - from));
}
