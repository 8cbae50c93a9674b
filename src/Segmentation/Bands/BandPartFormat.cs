using System.Text;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>
/// The stored form of one segmented band (a band part), written while the band is segmented and read while
/// the image is stitched, a row at a time on both sides so no machine ever holds a large image's band whole:
/// <list type="number">
/// <item>"UNPPRGN3", then the length of what follows it (a part cut short in storage or in transit is
/// refused outright instead of being read as far as it goes);</item>
/// <item>deflated: the image's size, the band's place in it, the class count and whether probabilities follow;
/// each of the band's rows (labels, then 16-bit probabilities when kept); then the tiles inferred,
/// the class totals, the ground-truth counts and whether the band's input was faint.</item>
/// </list>
/// </summary>
internal static class BandPartFormat
{
    public static readonly byte[] Magic = "UNPPRGN3"u8.ToArray();

    public static readonly int Header = Magic.Length + sizeof(long);

    public static readonly Encoding Text = Encoding.UTF8;
}
