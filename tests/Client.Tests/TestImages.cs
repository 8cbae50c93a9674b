using NetVips;

namespace UNetPP.Cluster.Client.Tests;

internal static class TestImages
{
    /// <summary>Bright discs on a dark ramp: structure for the model to respond to, different in every image.</summary>
    public static void WriteDiscs(string path, int width, int height, int bands, bool sixteenBit = false)
    {
        var random = new Random(path.Length + width);
        var pixels = new byte[width * height * bands];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var disc = ((x - (width / 3)) * (x - (width / 3))) + ((y - (height / 2)) * (y - (height / 2))) < width * height / 20;
                for (var b = 0; b < bands; b++)
                {
                    pixels[(((y * width) + x) * bands) + b] = (byte)((disc ? 200 : x) + random.Next(20));
                }
            }
        }

        using var image = Image.NewFromMemory(pixels, width, height, bands, Enums.BandFormat.Uchar);
        using var saved = sixteenBit ? image.Cast(Enums.BandFormat.Ushort).Linear([257.0], [0.0]).Cast(Enums.BandFormat.Ushort) : image.Copy();
        saved.WriteToFile(path);
    }
}
