namespace UNetPP.Cluster.Segmentation.Tiling;

/// <summary>
/// The float arrays of a band's blend strips, handed from each finished strip to the next. A strip of a
/// wide image is tens of megabytes, and a band blends a hundred of them one after another: allocated
/// afresh, each became large-object garbage that waited for a full collection, and how much of it
/// piled up first decided the process's peak memory. Reused, a band holds the two or three sets it
/// blends at once. Not thread-safe: one band's loop uses it.
/// </summary>
public sealed class StripBuffers
{
    /// <summary>More than a band ever has in use at once (weights and sums of up to three strips).</summary>
    private const int MostKept = 6;

    private readonly List<float[]> _spare = [];

    /// <summary>A zeroed array of exactly <paramref name="length"/> floats, a returned one when one fits.</summary>
    public float[] Take(int length)
    {
        var index = _spare.FindIndex(a => a.Length == length);
        if (index < 0)
        {
            return new float[length];
        }

        var array = _spare[index];
        _spare.RemoveAt(index);
        Array.Clear(array);
        return array;
    }

    /// <summary>Keeps <paramref name="array"/> for a later <see cref="Take"/>; its contents are no longer the caller's.</summary>
    public void Give(float[] array)
    {
        if (_spare.Count < MostKept)
        {
            _spare.Add(array);
        }
    }
}
