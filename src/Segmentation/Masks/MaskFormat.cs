using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Masks;

/// <summary>How a job's masks and probability maps are stored (<c>--mask-format</c>); overlays are always PNG.</summary>
public enum MaskFormat
{
    /// <summary>PNG, the default.</summary>
    Png,

    /// <summary>A tiled, compressed TIFF with the input's resolution tags.</summary>
    Tiff,

    /// <summary>A tiled, compressed, pyramidal OME-TIFF with the input's physical pixel size, for QuPath, napari and libvips.</summary>
    OmeTiff,
}

/// <summary>The names of <see cref="MaskFormat"/> on the command line, and the file names each gives an image's outputs.</summary>
public static class MaskFormats
{
    public const string Usage = "use png, tiff or ome-tiff";

    private static readonly string[] Names = ["png", "tiff", "ome-tiff"];

    public static string ToName(this MaskFormat format) => Names[(int)format];

    /// <summary>A job's format: null (a job that did not say, or one from before the option) is PNG.</summary>
    /// <exception cref="ArgumentException">The text names no format; the message names the option and the value.</exception>
    public static MaskFormat Of(string? text)
    {
        if (text is null)
        {
            return MaskFormat.Png;
        }

        var index = Array.FindIndex(Names, name => string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? (MaskFormat)index : throw new ArgumentException($"--mask-format {text}: {Usage}.");
    }

    /// <summary>
    /// The name of an image's mask or probability map in this format: its relative name (a plane's with
    /// the plane, <see cref="ImagePlane.OutputNameOf"/>) with the format's extension. A TIFF's stem loses an
    /// OME-TIFF input's <c>.ome</c>, so <c>slide.ome.tif</c> gives <c>slide.ome.tif</c> as OME-TIFF and
    /// <c>slide.tif</c> as plain TIFF, never a plain TIFF named as OME.
    /// </summary>
    public static string FileName(string imageName, MaskFormat format) => format switch
    {
        MaskFormat.Png => Path.ChangeExtension(ImagePlane.OutputNameOf(imageName), ".png"),
        MaskFormat.Tiff => StemOf(imageName) + ".tif",
        _ => StemOf(imageName) + ".ome.tif",
    };

    /// <summary>
    /// A name without its extension (a plane's with the plane: <c>x.tif#z3</c> is <c>x.z3</c>), counting an
    /// OME-TIFF's <c>.ome.tif</c> or <c>.ome.tiff</c> as one extension.
    /// </summary>
    public static string StemOf(string name) => ImagePlane.StemOf(ImagePlane.OutputNameOf(name));
}
