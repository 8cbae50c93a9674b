namespace UNetPP.Cluster.Training.Tests;

/// <summary>Random exposure, gamma, offset and bit depth: the same for a seed, and stored as a real file of that depth would hold them.</summary>
public sealed class IntensityAugmentationTests
{
    /// <summary>Every 8-bit level once per channel, as a PNG decodes to [0, 1].</summary>
    private static readonly float[] Levels = [.. Enumerable.Range(0, 256 * 3).Select(i => (i % 256) / 255f)];

    [Fact]
    public void TheSameSeedGivesTheSameIntensitiesAndAnotherSeedOthers()
    {
        var first = IntensityAugmentation.Apply(Levels, new Random(5));
        var again = IntensityAugmentation.Apply(Levels, new Random(5));
        var other = IntensityAugmentation.Apply(Levels, new Random(6));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(Levels, first);
    }

    [Fact]
    public void EachDrawIsStoredAt8BitsAs12BitsInA16BitFileOrAt16Bits()
    {
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 60; seed++)
        {
            var changed = IntensityAugmentation.Apply(Levels, new Random(seed));

            Assert.All(changed, v => Assert.InRange(v, 0f, 1f));
            Assert.All(changed, v => Assert.True(OnGrid(v, 65535), $"seed {seed}: {v} is not a 16-bit sample"));
            seen.Add(changed.All(v => OnGrid(v, 255)) ? "8-bit" : changed.Max() <= 4095 / 65535f ? "12-bit" : "16-bit");

            // Exposure, gamma and offset keep the order of intensities: nuclei stay brighter than background.
            for (var i = 1; i < 256; i++)
            {
                Assert.True(changed[i] >= changed[i - 1], $"seed {seed}: level {i} came out darker than level {i - 1}");
            }
        }

        Assert.Equal(["12-bit", "16-bit", "8-bit"], seen.Order());
    }

    private static bool OnGrid(float value, int levels) => MathF.Abs((value * levels) - MathF.Round(value * levels)) < 1e-2f;
}
