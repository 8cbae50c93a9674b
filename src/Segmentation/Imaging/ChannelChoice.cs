using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// A job's <c>--channels</c>: which of a file's channels the model is given, in order, each by its
/// 0-based number or by its OME channel name (<c>0</c>, <c>2,0,1</c>, <c>DAPI</c>, <c>DAPI,GFP</c>).
/// </summary>
public sealed class ChannelChoice
{
    public const string Usage = "give channel numbers from 0 or OME channel names, separated by commas (--channels 0, --channels 2,0,1 or --channels DAPI,GFP)";

    private readonly string[] _items;

    private ChannelChoice(string[] items) => _items = items;

    /// <summary>How many channels the choice gives the model.</summary>
    public int Count => _items.Length;

    /// <summary>Reads the option's text; throws <see cref="ArgumentException"/> with a message naming it.</summary>
    public static ChannelChoice Parse(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(item => item.Length == 0))
        {
            throw new ArgumentException($"--channels {text}: {Usage}.");
        }

        return new ChannelChoice(items);
    }

    /// <summary>
    /// The file's channel numbers the choice names, in its order. A number is taken as a number even
    /// where a channel has that name, so <c>--channels 1</c> always means the second channel.
    /// </summary>
    /// <param name="file">The image's name, for the error.</param>
    /// <param name="names">One entry per channel of the file: its OME name, or null.</param>
    /// <exception cref="ImageRejectedException">A channel the file does not have; the message lists those it has.</exception>
    public int[] Resolve(string file, IReadOnlyList<string?> names)
    {
        var channels = new int[_items.Length];
        for (var i = 0; i < _items.Length; i++)
        {
            var item = _items[i];
            var found = int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? number < names.Count ? number : -1
                : IndexOf(names, item);
            channels[i] = found >= 0
                ? found
                : throw new ImageRejectedException(file, $"it has no channel {item} (--channels {this}); its channels are {Describe(names)}");
        }

        return channels;
    }

    /// <summary>The words <see cref="Parse"/> reads back to this choice.</summary>
    public override string ToString() => string.Join(",", _items);

    /// <summary>A file's channels as a user names them: <c>0 DAPI, 1 GFP</c>, or <c>0–4</c> when none has a name.</summary>
    public static string Describe(IReadOnlyList<string?> names) =>
        names.All(n => n is null)
            ? names.Count == 1 ? "0 only" : FormattableString.Invariant($"0–{names.Count - 1}")
            : string.Join(", ", names.Select((n, i) => n is null ? i.ToString(CultureInfo.InvariantCulture) : FormattableString.Invariant($"{i} {n}")));

    // The exact name first; a name that differs only in case is still the user's meaning when only one fits.
    private static int IndexOf(IReadOnlyList<string?> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        var loose = names.Select((n, i) => (n, i)).Where(p => string.Equals(p.n, name, StringComparison.OrdinalIgnoreCase)).ToList();
        return loose.Count == 1 ? loose[0].i : -1;
    }
}
