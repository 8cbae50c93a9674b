using UNetPP.Cluster.Segmentation.Imaging;
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
    private static readonly string[] MaskExtensions = [".png", ".tif", ".tiff", ".jpg", ".jpeg"];

    /// <param name="input">The model's input: its channels and colour-to-gray rule apply here, its normalisation in training.</param>
    /// <exception cref="InvalidDataException">No images, an image without a mask, or sizes that differ; the message names the file.</exception>
    public static async Task<IReadOnlyList<TrainingExample>> LoadAsync(IObjectStore store, string location, InputSpec input, CancellationToken cancellationToken)
    {
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
            var stem = Masks + Path.ChangeExtension(name, null);
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
                throw new InvalidDataException($"{location}/{item.Name}: no mask with the same name under {location}/{Masks}.");
            }

            var image = decoder.Decode(item.Name, await store.ReadAsync(item.Name, cancellationToken), samples);
            var mask = decoder.DecodeGray8(maskName, await store.ReadAsync(maskName, cancellationToken));
            if (mask.Width != image.Width || mask.Height != image.Height)
            {
                throw new InvalidDataException($"{location}/{maskName}: the mask is {mask.Width}×{mask.Height} but the image is {image.Width}×{image.Height}.");
            }

            // The seed reads masks as gray / 255 and trains against that; any value ≥ 128 is object.
            examples.Add(new TrainingExample(name, image, [.. mask.Pixels.Select(p => p >= 128 ? 1f : 0f)]));
        }

        return examples.Count > 0
            ? examples
            : throw new InvalidDataException($"{location}: no images under {Images}; training data is images/ and masks/ with matching names.");
    }

    /// <summary>A fixed normalisation that leaves the [0, 1] samples as they are.</summary>
    private static InputNormalization Unscaled(int channels) =>
        new([.. Enumerable.Repeat(0f, channels)], [.. Enumerable.Repeat(1f, channels)]);
}
