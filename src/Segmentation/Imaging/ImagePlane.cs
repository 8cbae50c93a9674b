using System.Globalization;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// One plane of a multi-plane TIFF, segmented as an image of its own: page k of a plain multi-page TIFF
/// (<c>p3</c>), or a focal plane and time point of an OME-TIFF (<c>z3</c>, <c>t2</c>, <c>z3.t2</c> when it
/// has both). Its image name is the file's with the plane after a <c>#</c> (<c>x.tif#z3</c>), which no
/// listed image has, since a listed name ends in an image extension; its outputs and ground truth go by
/// <c>x.z3</c>.
/// </summary>
/// <param name="File">The file's name, as listed.</param>
/// <param name="Plane">The plane: <c>p3</c>, <c>z3</c>, <c>t2</c> or <c>z3.t2</c>.</param>
public sealed partial record ImagePlane(string File, string Plane)
{
    public const char Separator = '#';

    /// <summary>The page of a plain multi-page TIFF; null for an OME plane.</summary>
    public int? Page => Number('p');

    /// <summary>The OME focal plane; 0 for a page or a time point alone.</summary>
    public int Z => Number('z') ?? 0;

    /// <summary>The OME time point; 0 for a page or a focal plane alone.</summary>
    public int T => Number('t') ?? 0;

    /// <summary>The image name: <c>x.tif#z3</c>.</summary>
    public override string ToString() => $"{File}{Separator}{Plane}";

    /// <summary>The plane an image name refers to; null for the name of a whole file.</summary>
    public static ImagePlane? Parse(string name)
    {
        var cut = name.LastIndexOf(Separator);
        return cut > 0 && PlanePattern().IsMatch(name.AsSpan(cut + 1)) ? new ImagePlane(name[..cut], name[(cut + 1)..]) : null;
    }

    /// <summary>The file an image name is read from: the name itself, or the file a plane is in.</summary>
    public static string FileOf(string name) => Parse(name)?.File ?? name;

    /// <summary>
    /// The name an image's outputs and ground truth go by, with its file's extension: <c>x.tif</c> for a
    /// whole file, <c>x.z3.tif</c> for a plane (of <c>x.tif</c> or <c>x.ome.tif</c>).
    /// </summary>
    public static string OutputNameOf(string name) =>
        Parse(name) is { } plane ? $"{StemOf(plane.File)}.{plane.Plane}{Path.GetExtension(plane.File)}" : name;

    /// <summary>
    /// A file name without its extension, counting an OME-TIFF's <c>.ome.tif</c> or <c>.ome.tiff</c> as
    /// one extension, as OME names them.
    /// </summary>
    public static string StemOf(string file)
    {
        var stem = Path.ChangeExtension(file, null);
        var tiff = Path.GetExtension(file) is { } extension
            && (extension.Equals(".tif", StringComparison.OrdinalIgnoreCase) || extension.Equals(".tiff", StringComparison.OrdinalIgnoreCase));
        return tiff && stem.EndsWith(".ome", StringComparison.OrdinalIgnoreCase) ? stem[..^4] : stem;
    }

    private int? Number(char axis)
    {
        foreach (var part in Plane.Split('.'))
        {
            if (part[0] == axis)
            {
                return int.Parse(part.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(p\d{1,9}|z\d{1,9}|t\d{1,9}|z\d{1,9}\.t\d{1,9})$", RegexOptions.CultureInvariant)]
    private static partial Regex PlanePattern();
}
