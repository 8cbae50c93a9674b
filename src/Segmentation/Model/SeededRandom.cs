namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// SplitMix64: a fixed, documented generator, so the same seed gives the same initial weights on every
/// .NET version and platform (System.Random's algorithm is not guaranteed to stay the same).
/// </summary>
internal sealed class SeededRandom(int seed)
{
    private ulong state = unchecked((ulong)seed);

    public ulong NextUInt64()
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        var z = state;
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>A float drawn uniformly from [-bound, bound), built from the top 24 bits (a float's full precision).</summary>
    public float NextSymmetric(float bound) => (((NextUInt64() >> 40) * (2f / (1 << 24))) - 1f) * bound;
}
