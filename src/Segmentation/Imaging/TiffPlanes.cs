using System.Globalization;
using NetVips;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// How a file's pages make planes and channels. An OME-TIFF's OME-XML decides: each focal plane and time
/// point is a plane, and its channels are the samples of the pages OME maps to it (usually one page per
/// channel, joined here as bands). A plain multi-page TIFF has one plane per page of the first page's
/// size: smaller pages are a pyramid's reduced levels or thumbnails, not planes, and SubIFDs are never
/// pages. Its channels are its samples per pixel, as in any other image.
/// </summary>
internal sealed class TiffPlanes
{
    private readonly Image _first;
    private readonly int _pages;
    private readonly OmeImage? _ome;

    private TiffPlanes(Image first, int pages, OmeImage? ome, IReadOnlyList<string?> channelNames)
    {
        _first = first;
        _pages = pages;
        _ome = ome;
        ChannelNames = channelNames;
    }

    /// <summary>One entry per channel of a plane: its OME name, or null.</summary>
    public IReadOnlyList<string?> ChannelNames { get; }

    /// <param name="first">The file's first page, header read; it must outlive the result.</param>
    /// <exception cref="ImageRejectedException">OME-XML that cannot be understood.</exception>
    public static TiffPlanes Read(string name, Image first, ImageFormat format)
    {
        var pages = format == ImageFormat.Tiff && first.Contains("n-pages") ? (int)first.Get("n-pages") : 1;
        var ome = format == ImageFormat.Tiff ? ReadOme(name, first) : null;
        IReadOnlyList<string?> names = ome is null
            ? [.. Enumerable.Repeat<string?>(null, first.Bands)]
            : first.Bands == 1
                ? ome.ChannelNames
                // Interleaved samples of one OME channel (RGB) share its one name: numbers tell them apart.
                : [.. Enumerable.Repeat<string?>(null, ome.ChannelPages * first.Bands)];
        return new TiffPlanes(first, pages, ome, names);
    }

    /// <summary>The file's planes in order (<see cref="ImagePlane.Plane"/>), every Z of each T; empty when the whole file is one image.</summary>
    /// <param name="openPage">Opens page k of the file, for its header.</param>
    public IReadOnlyList<string> List(Func<int, Image> openPage)
    {
        var planes = new List<string>();
        if (_ome is not null)
        {
            for (var t = 0; t < _ome.SizeT; t++)
            {
                for (var z = 0; z < _ome.SizeZ; z++)
                {
                    planes.Add(OmePlane(z, t));
                }
            }
        }
        else
        {
            planes.Add("p0");
            for (var page = 1; page < _pages; page++)
            {
                using var header = openPage(page);
                if (header.Width == _first.Width && header.Height == _first.Height)
                {
                    planes.Add(Invariant($"p{page}"));
                }
            }
        }

        return planes.Count > 1 ? planes : [];
    }

    /// <summary>
    /// The plane's chosen channels as the bands of one image, in the choice's order; all of its channels
    /// when <paramref name="choice"/> is null. The first page itself when that is all the plane is.
    /// </summary>
    /// <param name="plane">The plane (<see cref="ImagePlane"/>); null for the file's first.</param>
    /// <param name="openPage">Opens page k of the file to be read, page 0 included, each with its own reader.</param>
    /// <param name="asStored">Whether the result is one page as the file stores it, rather than channels taken from pages.</param>
    /// <exception cref="ImageRejectedException">The plane or a chosen channel is not in the file.</exception>
    public Image Open(string name, ImagePlane? plane, ChannelChoice? choice, Func<int, Image> openPage, out bool asStored)
    {
        var channels = choice?.Resolve(name, ChannelNames) ?? [.. Enumerable.Range(0, ChannelNames.Count)];
        var bandsPerPage = _first.Bands;
        var sources = channels.Select(channel => (Page: PageOf(name, plane, channel / bandsPerPage), Band: channel % bandsPerPage)).ToList();
        asStored = choice is null && sources.All(s => s.Page == sources[0].Page);
        if (asStored)
        {
            // A whole page, as it is stored: its interpretation (alpha, CMYK) is the file's.
            return sources[0].Page == 0 ? _first : Checked(name, sources[0].Page, openPage(sources[0].Page));
        }

        // Pages read side by side each need a reader of their own; the first page alone is read as it is.
        var onePage = sources.All(s => s.Page == 0);
        var pages = new Dictionary<int, Image>();
        var bands = new List<Image>();
        try
        {
            foreach (var (page, band) in sources)
            {
                if (!pages.TryGetValue(page, out var image))
                {
                    image = pages[page] = onePage ? _first : Checked(name, page, openPage(page));
                }

                bands.Add(image.ExtractBand(band));
            }

            return bands.Count == 1 ? bands[0] : bands[0].Bandjoin([.. bands.Skip(1)]);
        }
        finally
        {
            // A joined image keeps what it needs of its inputs; these handles are only the loaders'.
            foreach (var image in pages.Values.Where(p => p != _first).Concat(bands.Count == 1 ? [] : bands))
            {
                image.Dispose();
            }
        }
    }

    private int PageOf(string name, ImagePlane? plane, int channelPage)
    {
        if (_ome is null)
        {
            var page = plane is null ? 0 : plane.Page ?? throw NoPlane(name, plane);
            return page < _pages ? page : throw NoPlane(name, plane!);
        }

        var (z, t) = plane is null ? (0, 0) : (plane.Z, plane.T);
        if (plane is not null && (plane.Page is not null || z >= _ome.SizeZ || t >= _ome.SizeT || OmePlane(z, t) != plane.Plane))
        {
            throw NoPlane(name, plane);
        }

        return _ome.PageOf(channelPage, z, t)
            ?? throw new ImageRejectedException(name, Invariant($"its OME-XML gives no page for channel {channelPage} of z {z}, t {t}"));
    }

    private string OmePlane(int z, int t) => (_ome!.SizeZ > 1, _ome.SizeT > 1) switch
    {
        (true, true) => Invariant($"z{z}.t{t}"),
        (false, true) => Invariant($"t{t}"),
        _ => Invariant($"z{z}"),
    };

    private ImageRejectedException NoPlane(string name, ImagePlane plane) => new(name, _ome is null
        ? Invariant($"it has no plane {plane.Plane}: it has {_pages} page(s)")
        : Invariant($"it has no plane {plane.Plane}: its OME-XML gives SizeZ {_ome.SizeZ} and SizeT {_ome.SizeT}"));

    /// <summary>A page of another size is a reduced level or a thumbnail, never a plane.</summary>
    private Image Checked(string name, int page, Image image)
    {
        if (image.Width == _first.Width && image.Height == _first.Height)
        {
            return image;
        }

        var reason = Invariant($"page {page} is {image.Width}×{image.Height}, not the {_first.Width}×{_first.Height} of its first page, so it is not a plane");
        image.Dispose();
        throw new ImageRejectedException(name, reason);
    }

    private static OmeImage? ReadOme(string name, Image first)
    {
        if (!first.Contains("image-description"))
        {
            return null;
        }

        try
        {
            return OmeImage.Parse((string)first.Get("image-description"));
        }
        catch (FormatException e)
        {
            throw new ImageRejectedException(name, e.Message);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
