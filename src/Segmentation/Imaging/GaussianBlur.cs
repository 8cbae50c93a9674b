namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>A separable Gaussian blur of a one-channel image, edges clamped.</summary>
internal static class GaussianBlur
{
    /// <summary>Blurs <paramref name="source"/>, <paramref name="width"/> by <paramref name="height"/> row by row, with a Gaussian of <paramref name="sigma"/> pixels.</summary>
    public static float[] Blur(float[] source, int width, int height, double sigma)
    {
        var radius = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, (2 * radius) + 1).Select(d => Math.Exp(-(d * d) / (2 * sigma * sigma))).ToArray();
        var sum = kernel.Sum();
        var rows = new float[source.Length];
        var result = new float[source.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double total = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    total += kernel[k + radius] * source[(y * width) + Math.Clamp(x + k, 0, width - 1)];
                }

                rows[(y * width) + x] = (float)(total / sum);
            }
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double total = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    total += kernel[k + radius] * rows[(Math.Clamp(y + k, 0, height - 1) * width) + x];
                }

                result[(y * width) + x] = (float)(total / sum);
            }
        }

        return result;
    }
}
