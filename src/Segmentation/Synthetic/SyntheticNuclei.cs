using System.Globalization;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Synthetic;

/// <summary>
/// Fluorescence-style nuclei images with their ground-truth masks, the kind of data UNet++ is known
/// for (the seed's DSB2018 nuclei): bright, roughly elliptical objects of varied size and brightness,
/// some in clusters where they touch and overlap, on a dark, unevenly lit background, blurred as a
/// microscope's optics blur and with shot and read noise. Crowded fields try four times as many nuclei,
/// most against a neighbour, and leave out those that would lie mostly under another: dense real fields
/// press nuclei together rather than stack them. Deterministic from the seed, so a data set can be made
/// again exactly on any machine.
/// </summary>
public sealed class SyntheticNuclei
{
    private readonly int width;
    private readonly int height;
    private readonly int seed;
    private readonly bool crowded;

    public SyntheticNuclei(int width, int height, int seed, bool crowded = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 16);
        (this.width, this.height, this.seed, this.crowded) = (width, height, seed, crowded);
    }

    /// <summary>
    /// Writes <paramref name="count"/> pairs as <c>images/nuclei-NNN.png</c> (8-bit RGB) and
    /// <c>masks/nuclei-NNN.png</c> (0/255), the layout the seed's code reads, and returns the image paths.
    /// With <paramref name="instances"/>, also <c>labels/nuclei-NNN.png</c>: 16-bit instance labels.
    /// </summary>
    public static IReadOnlyList<string> Write(string folder, int count, int width, int height, int seed, bool crowded = false, bool instances = false)
    {
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        var masks = Directory.CreateDirectory(Path.Combine(folder, "masks")).FullName;
        var labels = instances ? Directory.CreateDirectory(Path.Combine(folder, "labels")).FullName : null;
        var generator = new SyntheticNuclei(width, height, seed, crowded);
        var written = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"nuclei-{i:D3}.png");
            var field = generator.Draw(i);
            File.WriteAllBytes(Path.Combine(images, name), field.ImagePng());
            File.WriteAllBytes(Path.Combine(masks, name), field.MaskPng());
            if (labels is not null)
            {
                File.WriteAllBytes(Path.Combine(labels, name), field.LabelsPng());
            }

            written.Add(Path.Combine(images, name));
        }

        return written;
    }

    /// <summary>Image <paramref name="index"/> of this set: PNG bytes of the image and of its mask.</summary>
    public (byte[] ImagePng, byte[] MaskPng) Create(int index)
    {
        var field = Draw(index);
        return (field.ImagePng(), field.MaskPng());
    }

    /// <summary>Image <paramref name="index"/> of this set with its mask and its instance labels.</summary>
    public SyntheticField Draw(int index)
    {
        var random = new Random(FieldSeed(index));
        var light = new float[width * height];
        var mask = new byte[width * height];
        var owner = new NucleusOwnership(width * height);

        // Density and size vary from field to field, as they do between real acquisitions.
        var scale = Math.Max(1, Math.Sqrt(width * height) / 160.0) * (0.7 + (0.6 * random.NextDouble()));
        var count = Math.Max(3, (int)(width * height / (700.0 * scale * scale) * (0.5 + random.NextDouble()) * (crowded ? 4 : 1)));
        var placed = new List<(double X, double Y, double A, double B)>();
        for (var n = 0; n < count; n++)
        {
            var a = (3.5 + (random.NextDouble() * 6)) * scale;
            var b = a * (0.55 + (random.NextDouble() * 0.45));
            double cx, cy;
            if (placed.Count > 0 && random.NextDouble() < (crowded ? 0.6 : 0.3))
            {
                // A neighbour of an earlier nucleus, close enough to touch or overlap it: the case that
                // separates a good segmentation from a threshold.
                var (px, py, pa, _) = placed[random.Next(placed.Count)];
                var direction = random.NextDouble() * Math.PI * 2;
                var distance = (pa + b) * (0.7 + (0.35 * random.NextDouble()));
                (cx, cy) = (px + (distance * Math.Cos(direction)), py + (distance * Math.Sin(direction)));
            }
            else
            {
                (cx, cy) = (random.NextDouble() * width, random.NextDouble() * height);
            }

            if (crowded && placed.Exists(other => Math.Pow(other.X - cx, 2) + Math.Pow(other.Y - cy, 2) < Math.Pow(0.9 * (other.B + b), 2)))
            {
                // Nuclei in a dense field press against each other; one mostly under another is a rare accident there.
                continue;
            }

            placed.Add((cx, cy, a, b));
            DrawEllipse(light, mask, owner, n + 1, cx, cy, a, b, random.NextDouble() * Math.PI, 0.3 + (random.NextDouble() * 0.6), random);
        }

        // The optics' point spread.
        var blurred = GaussianBlur.Blur(light, width, height, 0.6 + (random.NextDouble() * 0.9));
        var tilt = random.NextDouble() * Math.PI * 2;
        var level = 0.03 + (random.NextDouble() * 0.06);
        var pixels = new byte[width * height * 3];
        var tint = new[] { 0.55 + (random.NextDouble() * 0.45), 0.35 + (random.NextDouble() * 0.3), 0.8 + (random.NextDouble() * 0.2) };
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;

                // A slow gradient stands for uneven illumination across the field of view.
                var background = level * (1 + (0.8 * Math.Sin(((x * Math.Cos(tilt)) + (y * Math.Sin(tilt))) / (width + height) * Math.PI * 2)));
                var signal = background + blurred[i];

                // Shot noise grows with the signal; read noise does not.
                var noise = Gaussian(random) * ((0.02 * Math.Sqrt(signal)) + 0.012);
                var value = Math.Clamp(signal + noise, 0, 1);
                for (var c = 0; c < 3; c++)
                {
                    pixels[(i * 3) + c] = (byte)Math.Round(Math.Clamp(value * tint[c], 0, 1) * 255);
                }
            }
        }

        return new SyntheticField(width, height, pixels, mask, owner.Labels());
    }

    /// <summary>
    /// The field's random seed, mixed with SplitMix64 steps rather than <see cref="HashCode"/>, whose
    /// seed changes with every process: the same options must give the same files on every run.
    /// </summary>
    private int FieldSeed(int index)
    {
        var state = 0x9E3779B97F4A7C15UL;
        foreach (var value in new long[] { seed, index, width, height, crowded ? 1 : 0 })
        {
            state += (ulong)value + 0x9E3779B97F4A7C15UL;
            state = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9UL;
            state = (state ^ (state >> 27)) * 0x94D049BB133111EBUL;
            state ^= state >> 31;
        }

        return (int)(state & int.MaxValue);
    }

    private void DrawEllipse(float[] light, byte[] mask, NucleusOwnership owner, int id, double cx, double cy, double a, double b, double angle, double brightness, Random random)
    {
        var (sin, cos) = Math.SinCos(angle);

        // Chromatin texture: a nucleus is not evenly bright.
        var (fx, fy, phase) = (0.3 + random.NextDouble(), 0.3 + random.NextDouble(), random.NextDouble() * Math.PI * 2);
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
                if (r > 1)
                {
                    continue;
                }

                var texture = 1 + (0.12 * Math.Sin((fx * dx) + (fy * dy) + phase));
                var intensity = brightness * texture * (1 - (0.3 * r * r));
                var i = (y * width) + x;

                // Overlapping nuclei add up, as stained DNA does.
                light[i] = (float)Math.Min(1, light[i] + intensity);
                mask[i] = 255;
                owner.Claim(i, id, r);
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
