using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// A job's <c>--pages</c>: which planes of a file with several become images: <c>all</c> (the default),
/// <c>first</c>, or a list of plane numbers and ranges (<c>0,2,5-7</c>). A plane's number is the one in
/// its name (<c>p5</c>, <c>z5</c>, <c>t5</c>); with both Z and T, planes are counted Z first
/// (<c>z&lt;k&gt;.t&lt;j&gt;</c> is plane j × SizeZ + k).
/// </summary>
public sealed class PageChoice
{
    public const string All = "all";
    public const string First = "first";
    public const string Usage = "use all, first, or plane numbers from 0 and ranges separated by commas (e.g. 0,2,5-7)";

    private readonly string _text;
    private readonly List<(int From, int To)>? _ranges;

    private PageChoice(string text, List<(int From, int To)>? ranges)
    {
        _text = text;
        _ranges = ranges;
    }

    /// <summary>Reads the option's text; throws <see cref="ArgumentException"/> with a message naming it.</summary>
    public static PageChoice Parse(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (trimmed is All or First)
        {
            return new PageChoice(trimmed, trimmed == First ? [(0, 0)] : null);
        }

        var ranges = new List<(int, int)>();
        foreach (var item in trimmed.Split(',', StringSplitOptions.TrimEntries))
        {
            var ends = item.Split('-', 2, StringSplitOptions.TrimEntries);
            if (!int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(ends[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                || to < from)
            {
                throw new ArgumentException($"--pages {text}: {Usage}.");
            }

            ranges.Add((from, to));
        }

        return new PageChoice(string.Join(",", ranges.Select(r => r.Item1 == r.Item2 ? Invariant(r.Item1) : $"{Invariant(r.Item1)}-{Invariant(r.Item2)}")), ranges);
    }

    /// <summary>The planes chosen among a file's, in its order.</summary>
    /// <param name="planes">The file's planes (<see cref="ImagePlane.Plane"/>), every Z of each T.</param>
    /// <exception cref="ImageRejectedException">None of them is chosen; the message says which the file has.</exception>
    public IReadOnlyList<string> Select(string file, IReadOnlyList<string> planes)
    {
        if (_ranges is null)
        {
            return planes;
        }

        var parsed = planes.Select(p => new ImagePlane(file, p)).ToList();
        var sizeZ = parsed.Select(p => p.Z).Distinct().Count();
        var chosen = parsed.Where(p => _ranges.Exists(r => Number(p, sizeZ) >= r.From && Number(p, sizeZ) <= r.To)).Select(p => p.Plane).ToList();
        return chosen.Count > 0
            ? chosen
            : throw new ImageRejectedException(file, FormattableString.Invariant($"--pages {_text} chooses none of its {planes.Count} planes ({planes[0]} to {planes[^1]})"));
    }

    private static long Number(ImagePlane plane, int sizeZ) => plane.Page ?? (((long)plane.T * sizeZ) + plane.Z);

    /// <summary>The words <see cref="Parse"/> reads back to this choice.</summary>
    public override string ToString() => _text;

    private static string Invariant(int number) => number.ToString(CultureInfo.InvariantCulture);
}
