namespace UNetPP.Cluster.Segmentation.Synthetic;

/// <summary>
/// Which nucleus each pixel of a synthetic field belongs to. Where nuclei overlap, the pixel goes to
/// the one it lies deepest in (smallest radius relative to that nucleus's own ellipse), so the cut
/// between two overlapping nuclei runs where a person drawing them would put it.
/// </summary>
internal sealed class NucleusOwnership(int pixels)
{
    private readonly int[] owner = new int[pixels];
    private readonly double[] depth = new double[pixels];

    /// <param name="pixel">The pixel's index, row by row.</param>
    /// <param name="nucleus">The nucleus, numbered from 1 in the order drawn.</param>
    /// <param name="radius">The pixel's radius in the nucleus's ellipse: 0 at its centre, 1 on its edge.</param>
    public void Claim(int pixel, int nucleus, double radius)
    {
        if (owner[pixel] == 0 || radius < depth[pixel])
        {
            (owner[pixel], depth[pixel]) = (nucleus, radius);
        }
    }

    /// <summary>
    /// The label image: 0 for background, and ids 1…N numbered in the order their first pixel is met
    /// row by row, so nuclei drawn wholly outside the field or wholly covered leave no gap in the ids.
    /// </summary>
    public ushort[] Labels()
    {
        var ids = new Dictionary<int, ushort>();
        var labels = new ushort[owner.Length];
        for (var i = 0; i < owner.Length; i++)
        {
            if (owner[i] == 0)
            {
                continue;
            }

            if (!ids.TryGetValue(owner[i], out var id))
            {
                id = checked((ushort)(ids.Count + 1));
                ids.Add(owner[i], id);
            }

            labels[i] = id;
        }

        return labels;
    }
}
