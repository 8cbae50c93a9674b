using NetVips;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// Fluorescence-style nuclei images with their ground-truth masks: bright, roughly elliptical
/// objects of varied size, some touching, on a dark and unevenly lit background, with soft edges
/// and noise. Deterministic from the seed, so a benchmark or sample set can be made again exactly.
/// </summary>
internal sealed class SyntheticNuclei(int width, int height, int seed)
{
    public (byte[] ImagePng, byte[] MaskPng) Create(int index)
    {
        var random = new Random(HashCode.Combine(seed, index, width, height));
        var light = new float[width * height];
        var mask = new byte[width * height];
        var count = Math.Max(3, (int)(width * height / 900.0 * (0.6 + random.NextDouble())));
        var scale = Math.Sqrt(width * height) / 96.0;

        for (var n = 0; n < count; n++)
        {
            var cx = random.NextDouble() * width;
            var cy = random.NextDouble() * height;
            var a = (3 + (random.NextDouble() * 6)) * Math.Max(1, scale * 0.6);
            var b = a * (0.55 + (random.NextDouble() * 0.45));
            var angle = random.NextDouble() * Math.PI;
            var brightness = 0.45 + (random.NextDouble() * 0.5);
            DrawEllipse(light, mask, cx, cy, a, b, angle, brightness);
        }

        var tilt = random.NextDouble() * Math.PI * 2;
        var pixels = new byte[width * height * 3];
        var tint = new[] { 0.55 + (random.NextDouble() * 0.45), 0.35 + (random.NextDouble() * 0.3), 0.8 + (random.NextDouble() * 0.2) };
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;

                // A slow gradient stands for uneven illumination across the field of view.
                var background = 0.06 + (0.05 * Math.Sin(((x * Math.Cos(tilt)) + (y * Math.Sin(tilt))) / (width + height) * Math.PI * 2));
                var noise = Gaussian(random) * 0.025;
                var value = Math.Clamp(background + light[i] + noise, 0, 1);
                for (var c = 0; c < 3; c++)
                {
                    pixels[(i * 3) + c] = (byte)Math.Round(Math.Clamp(value * tint[c], 0, 1) * 255);
                }
            }
        }

        using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        using var maskImage = Image.NewFromMemory(mask, width, height, 1, Enums.BandFormat.Uchar);
        return (image.WriteToBuffer(".png"), maskImage.WriteToBuffer(".png"));
    }

    private void DrawEllipse(float[] light, byte[] mask, double cx, double cy, double a, double b, double angle, double brightness)
    {
        var (sin, cos) = Math.SinCos(angle);
        var reach = (int)Math.Ceiling(a + 2);
        for (var y = Math.Max(0, (int)cy - reach); y < Math.Min(height, (int)cy + reach + 1); y++)
        {
            for (var x = Math.Max(0, (int)cx - reach); x < Math.Min(width, (int)cx + reach + 1); x++)
            {
                var dx = x - cx;
                var dy = y - cy;
                var u = ((dx * cos) + (dy * sin)) / a;
                var v = ((-dx * sin) + (dy * cos)) / b;
                var r = Math.Sqrt((u * u) + (v * v));

                // Soft edge: full inside, fading over the outer fifth, like an out-of-focus rim.
                var intensity = brightness * Math.Clamp((1.2 - r) / 0.4, 0, 1) * (1 - (0.25 * r * r));
                var i = (y * width) + x;
                light[i] = Math.Max(light[i], (float)intensity);
                if (r <= 1)
                {
                    mask[i] = 255;
                }
            }
        }
    }

    private static double Gaussian(Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
