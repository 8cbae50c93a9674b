using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Training;

/// <summary>One training example: the image normalised as the model will see it, and its 0/1 mask.</summary>
public sealed record TrainingExample(string Name, ImageTensor Image, float[] Mask);

/// <summary>
/// A folder with <c>images/</c> and <c>masks/</c> holding files of the same names (any image
/// extension on either side), the layout the seed's code reads. Images are decoded exactly as the
/// engine decodes them at inference, so training and inference see the same numbers.
/// </summary>
public static class TrainingData
{
    private static readonly string[] MaskExtensions = [".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp"];

    /// <exception cref="DirectoryNotFoundException">The folder lacks images/ or masks/.</exception>
    /// <exception cref="InvalidDataException">An image has no mask, or they differ in size; the message names the file.</exception>
    public static IReadOnlyList<TrainingExample> Load(string folder, InputSpec input)
    {
        var images = Path.Combine(folder, "images");
        var masks = Path.Combine(folder, "masks");
        foreach (var required in new[] { images, masks })
        {
            if (!Directory.Exists(required))
            {
                throw new DirectoryNotFoundException($"{required}: no such folder; training data is images/ and masks/ with matching names.");
            }
        }

        var decoder = new ImageDecoder(new ImageDecoderOptions());
        var examples = new List<TrainingExample>();
        foreach (var path in Directory.EnumerateFiles(images, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(images, path).Replace(Path.DirectorySeparatorChar, '/');
            if (Path.GetFileName(name).StartsWith('.'))
            {
                continue;
            }

            var stem = Path.ChangeExtension(Path.Combine(masks, name), null);
            var maskPath = MaskExtensions.Select(e => stem + e).FirstOrDefault(File.Exists)
                ?? throw new InvalidDataException($"{path}: no mask with the same name under {masks}.");
            var image = decoder.Decode(name, File.ReadAllBytes(path), input);
            var mask = decoder.DecodeGray8(maskPath, File.ReadAllBytes(maskPath));
            if (mask.Width != image.Width || mask.Height != image.Height)
            {
                throw new InvalidDataException($"{maskPath}: the mask is {mask.Width}×{mask.Height} but the image is {image.Width}×{image.Height}.");
            }

            // The seed reads masks as gray / 255 and trains against that; any value ≥ 128 is object.
            examples.Add(new TrainingExample(name, image, [.. mask.Pixels.Select(p => p >= 128 ? 1f : 0f)]));
        }

        return examples.Count > 0 ? examples : throw new InvalidDataException($"{images}: no images.");
    }
}
