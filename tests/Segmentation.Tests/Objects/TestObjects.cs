using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Tests.Objects;

/// <summary>Objects drawn as text ('#' is the object's pixel), disks, and rows of the object table.</summary>
internal static class TestObjects
{
    public static ImageObject Draw(int x, int y, params string[] rows) => Draw(1, 1, x, y, rows);

    public static ImageObject Draw(int id, int classIndex, int x, int y, params string[] rows)
    {
        var width = rows[0].Length;
        var pixels = rows.SelectMany(row => row.Select(c => c == '#')).ToArray();
        return new ImageObject(id, classIndex, new PixelRect(x, y, width, rows.Length), pixels, [.. pixels.Select(_ => 0.5f)], []);
    }

    /// <summary>Pixels whose index is within <paramref name="radius"/> of the centre pixel's index, as scikit-image's draw.disk.</summary>
    public static ImageObject Disk(int radius)
    {
        var size = 2 * radius + 1;
        var pixels = new bool[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                pixels[y * size + x] = (x - radius) * (x - radius) + (y - radius) * (y - radius) <= radius * radius;
            }
        }
        return new ImageObject(1, 1, new PixelRect(0, 0, size, size), pixels, new float[pixels.Length], []);
    }

    public static ObjectRow Row(string imageName, int id, PhysicalPixelSize? pixelSize, int channels)
    {
        var imageObject = Draw(id, 1 + id % 2, id, 2 * id, "##.", "###") with
        {
            Channels = [.. Enumerable.Range(0, channels).Select(c => new float[] { c + id, 2, 3, 4, 5, 6 })],
        };
        return new ObjectRow(imageName, id, imageObject.ClassIndex, imageObject.ClassIndex == 1 ? "Nucleus" : "Mitotic", ObjectMeasurer.Measure(imageObject, pixelSize));
    }
}
