using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Training;

/// <summary>One training example: the image's samples scaled to [0, 1] (not yet normalised), and its 0/1 mask.</summary>
public sealed record TrainingExample(string Name, ImageTensor Image, float[] Mask);

/// <summary>
/// A location (folder, <c>az://container/prefix</c> or blob URL) with <c>images/</c> and <c>masks/</c>
/// holding files of the same names (any image extension on either side), the layout the seed's code
/// reads. Images are decoded as the engine decodes them at inference, up to the normalisation, which
/// <see cref="TrainingInput"/> applies after it has changed their intensities, so training and
/// inference see the same numbers.
/// </summary>
public static class TrainingData
{
    private const string Images = "images/";
    private const string Masks = "masks/";
    private const string Labels = "labels/";
    private static readonly string[] MaskExtensions = [".png", ".tif", ".tiff", ".jpg", ".jpeg"];

    /// <param name="input">The model's input: its channels and colour-to-gray rule apply here, its normalisation in training.</param>
    /// <param name="seamProbability">
    /// Null trains on <c>masks/</c>. Otherwise the targets come from <c>labels/</c> (instance labels): each nucleus 1,
    /// but the pixels where it touches another (an 8-neighbour with another id) this value, so they stay in
    /// the mask while the probability dips along the seam, which is what separates touching nuclei later.
    /// </param>
    /// <exception cref="InvalidDataException">No images, an image without a mask, or sizes that differ; the message names the file.</exception>
    public static async Task<IReadOnlyList<TrainingExample>> LoadAsync(IObjectStore store, string location, InputSpec input, double? seamProbability, CancellationToken cancellationToken)
    {
        var targets = seamProbability is null ? Masks : Labels;
        var decoder = new ImageDecoder(new ImageDecoderOptions());
        var samples = input with { Normalization = Unscaled(input.Channels) };
        var examples = new List<TrainingExample>();
        await foreach (var item in store.ListAsync(Images, cancellationToken))
        {
            if (!item.LooksLikeImage)
            {
                continue;
            }

            var name = item.Name[Images.Length..];
            var stem = targets + Path.ChangeExtension(name, null);
            string? maskName = null;
            foreach (var candidate in MaskExtensions.Select(e => stem + e))
            {
                if (await store.ExistsAsync(candidate, cancellationToken))
                {
                    maskName = candidate;
                    break;
                }
            }

            if (maskName is null)
            {
                throw new InvalidDataException(seamProbability is null
                    ? $"{location}/{item.Name}: no mask with the same name under {location}/{Masks}."
                    : $"{location}/{item.Name}: no instance labels with the same name under {location}/{Labels} (--seam-probability trains on them; unetpp nuclei --instances writes them).");
            }

            var image = decoder.Decode(item.Name, await store.ReadAsync(item.Name, cancellationToken), samples);
            var bytes = await store.ReadAsync(maskName, cancellationToken);
            var (width, height, target) = seamProbability is { } seam ? SeamTargets(decoder, maskName, bytes, (float)seam) : MaskTargets(decoder, maskName, bytes);
            if (width != image.Width || height != image.Height)
            {
                throw new InvalidDataException($"{location}/{maskName}: the mask is {width}×{height} but the image is {image.Width}×{image.Height}.");
            }

            examples.Add(new TrainingExample(name, image, target));
        }

        return examples.Count > 0
            ? examples
            : throw new InvalidDataException($"{location}: no images under {Images}; training data is images/ and masks/ with matching names.");
    }

    private static (int Width, int Height, float[] Target) MaskTargets(ImageDecoder decoder, string name, byte[] bytes)
    {
        // The seed reads masks as gray / 255 and trains against that; any value ≥ 128 is object.
        var mask = decoder.DecodeGray8(name, bytes);
        return (mask.Width, mask.Height, [.. mask.Pixels.Select(p => p >= 128 ? 1f : 0f)]);
    }

    private static (int Width, int Height, float[] Target) SeamTargets(ImageDecoder decoder, string name, byte[] bytes, float seam)
    {
        var bands = ImageDecoder.ReadInfo(name, new MemoryStream(bytes, writable: false)).Bands;
        if (bands != 1)
        {
            throw new InvalidDataException($"{name}: instance labels have one channel; this file has {bands}.");
        }

        // Ids are read as inference reads instance ground truth: in the file's own units, never scaled to 8 bits.
        using var rows = new GroundTruthRows(decoder, new GroundTruth(name, bytes));
        var (width, height) = (rows.Width, rows.Height);
        var labels = new int[width * height];
        for (var y = 0; y < height; y++)
        {
            rows.Read(y, labels.AsSpan(y * width, width));
        }

        var target = new float[labels.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var id = labels[(y * width) + x];
                if (id != 0)
                {
                    target[(y * width) + x] = TouchesAnother(labels, width, height, x, y, id) ? seam : 1f;
                }
            }
        }

        return (width, height, target);
    }

    private static bool TouchesAnother(int[] labels, int width, int height, int x, int y, int id)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                var (nx, ny) = (x + dx, y + dy);
                if (nx >= 0 && ny >= 0 && nx < width && ny < height && labels[(ny * width) + nx] is var other && other != 0 && other != id)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A fixed normalisation that leaves the [0, 1] samples as they are.</summary>
    private static InputNormalization Unscaled(int channels) =>
        new([.. Enumerable.Repeat(0f, channels)], [.. Enumerable.Repeat(1f, channels)]);
}
