using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// What an OME-TIFF's OME-XML says about its first image: how its planes (C, Z, T) are laid out over the
/// file's pages, the channels' names and the physical pixel size. Read from the first page's
/// ImageDescription; files with several OME images are read for their first only.
/// </summary>
/// <param name="DimensionOrder">OME's order of the non-XY axes, fastest first after XY, e.g. <c>XYCZT</c>.</param>
/// <param name="SizeC">Channels, counting every sample of an interleaved (RGB) channel.</param>
/// <param name="SizeZ">Focal planes.</param>
/// <param name="SizeT">Time points.</param>
/// <param name="SamplesPerPixel">Samples each page holds per pixel (3 for interleaved RGB, else 1).</param>
/// <param name="ChannelNames">One name per page-channel (null where the file gives none).</param>
/// <param name="PhysicalSizeX">Pixel width in micrometres, when the file says.</param>
/// <param name="PhysicalSizeY">Pixel height in micrometres, when the file says.</param>
public sealed record OmeImage(
    string DimensionOrder,
    int SizeC,
    int SizeZ,
    int SizeT,
    int SamplesPerPixel,
    IReadOnlyList<string?> ChannelNames,
    double? PhysicalSizeX,
    double? PhysicalSizeY)
{
    private Dictionary<int, int>? _pages;

    /// <summary>Pages that make up one plane: the channels stored on separate pages.</summary>
    public int ChannelPages => SizeC / SamplesPerPixel;

    /// <summary>
    /// The file page (IFD) that holds channel page <paramref name="c"/> of plane (<paramref name="z"/>,
    /// <paramref name="t"/>), following the TiffData elements where the file has them and the dimension
    /// order otherwise; null when the file maps no page to it.
    /// </summary>
    public int? PageOf(int c, int z, int t)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)c, (uint)ChannelPages, nameof(c));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)z, (uint)SizeZ, nameof(z));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)t, (uint)SizeT, nameof(t));
        var plane = PlaneIndex(c, z, t);
        return _pages is null ? plane : _pages.TryGetValue(plane, out var page) ? page : null;
    }

    /// <summary>
    /// Reads OME-XML; null when <paramref name="description"/> is not OME-XML (a plain TIFF's description).
    /// </summary>
    /// <exception cref="FormatException">OME-XML whose Pixels element cannot be understood; the message says what is wrong.</exception>
    public static OmeImage? Parse(string? description)
    {
        if (description is null || !description.Contains("<OME", StringComparison.Ordinal))
        {
            return null;
        }

        XElement root;
        try
        {
            // No DTDs and no external entities: the description comes from the user's file.
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(description), settings);
            root = XElement.Load(reader);
        }
        catch (XmlException e)
        {
            throw new FormatException($"its OME-XML does not parse ({e.Message})", e);
        }

        if (root.Name.LocalName != "OME")
        {
            return null;
        }

        var pixels = Child(Child(root, "Image"), "Pixels") ?? throw new FormatException("its OME-XML has no Image with Pixels");
        var order = ((string?)pixels.Attribute("DimensionOrder") ?? "XYCZT").ToUpperInvariant();
        if (order.Length != 5 || !order.StartsWith("XY", StringComparison.Ordinal) || !"CZT".All(order.Contains))
        {
            throw new FormatException($"its OME-XML DimensionOrder '{order}' is not one of XYCZT, XYZCT, …");
        }

        var sizeC = Size(pixels, "SizeC");
        var channels = pixels.Elements().Where(e => e.Name.LocalName == "Channel").ToList();
        var samples = channels.Count > 0 && (int?)channels[0].Attribute("SamplesPerPixel") is > 1 and var s ? s : 1;
        if (sizeC % samples != 0)
        {
            throw new FormatException(FormattableString.Invariant($"its OME-XML has SizeC {sizeC}, which {samples} samples per pixel do not divide"));
        }

        var names = Enumerable.Range(0, sizeC / samples)
            .Select(i => i < channels.Count ? (string?)channels[i].Attribute("Name") : null)
            .ToList();
        var image = new OmeImage(
            order,
            sizeC,
            Size(pixels, "SizeZ"),
            Size(pixels, "SizeT"),
            samples,
            names,
            Micrometres(pixels, "PhysicalSizeX"),
            Micrometres(pixels, "PhysicalSizeY"));
        return image with { _pages = image.TiffDataPages(pixels) };
    }

    /// <summary>The plane's index in the dimension order, as OME numbers planes (and pages, when no TiffData says otherwise).</summary>
    private int PlaneIndex(int c, int z, int t)
    {
        var index = 0;
        var stride = 1;
        foreach (var axis in DimensionOrder[2..])
        {
            var (at, size) = axis switch
            {
                'C' => (c, ChannelPages),
                'Z' => (z, SizeZ),
                _ => (t, SizeT),
            };
            index += at * stride;
            stride *= size;
        }

        return index;
    }

    /// <summary>
    /// Plane index to page, from TiffData elements that name their IFD or first plane; null when the file
    /// leaves the default (plane k on page k), as most writers do.
    /// </summary>
    private Dictionary<int, int>? TiffDataPages(XElement pixels)
    {
        var tiffData = pixels.Elements().Where(e => e.Name.LocalName == "TiffData").ToList();
        var plain = tiffData.Count <= 1 && tiffData.All(e =>
            ((int?)e.Attribute("IFD") ?? 0) == 0 && e.Attribute("FirstC") is null && e.Attribute("FirstZ") is null && e.Attribute("FirstT") is null);
        if (plain)
        {
            return null;
        }

        var pages = new Dictionary<int, int>();
        var planes = ChannelPages * SizeZ * SizeT;
        foreach (var element in tiffData)
        {
            var ifd = (int?)element.Attribute("IFD") ?? 0;
            var first = PlaneIndex(
                Math.Min((int?)element.Attribute("FirstC") ?? 0, ChannelPages - 1),
                Math.Min((int?)element.Attribute("FirstZ") ?? 0, SizeZ - 1),
                Math.Min((int?)element.Attribute("FirstT") ?? 0, SizeT - 1));

            // OME: without PlaneCount, a lone TiffData covers every plane and one of several covers one.
            var count = (int?)element.Attribute("PlaneCount") ?? (tiffData.Count == 1 ? planes - first : 1);
            for (var k = 0; k < count && first + k < planes; k++)
            {
                pages[first + k] = ifd + k;
            }
        }

        return pages;
    }

    private static XElement? Child(XElement? parent, string name) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static int Size(XElement pixels, string attribute)
    {
        var text = (string?)pixels.Attribute(attribute);
        if (text is null)
        {
            return 1;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size >= 1
            ? size
            : throw new FormatException($"its OME-XML {attribute} '{text}' is not a positive whole number");
    }

    /// <summary>A physical size in micrometres, converted from the unit OME gives (µm when none is given).</summary>
    private static double? Micrometres(XElement pixels, string attribute)
    {
        var text = (string?)pixels.Attribute(attribute);
        if (text is null || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var size) || !(size > 0) || !double.IsFinite(size))
        {
            return null;
        }

        double? perUnit = ((string?)pixels.Attribute(attribute + "Unit") ?? "µm") switch
        {
            "µm" or "um" or "μm" => 1,
            "nm" => 1e-3,
            "Å" => 1e-4,
            "mm" => 1e3,
            "cm" => 1e4,
            "m" => 1e6,
            _ => null,
        };
        return size * perUnit;
    }
}
