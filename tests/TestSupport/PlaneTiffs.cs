using System.Globalization;
using NetVips;

namespace UNetPP.Cluster.TestSupport;

/// <summary>
/// Multi-page TIFFs and OME-TIFFs written with libvips, as tifffile and bfconvert lay them out: pages
/// of one size saved page after page (a tall "toilet roll" image with <c>page-height</c>), the OME-XML
/// in the first page's ImageDescription.
/// </summary>
internal static class PlaneTiffs
{
    /// <summary>Saves gray 8-bit planes, each <paramref name="width"/> × <paramref name="height"/>, as the pages of one TIFF.</summary>
    public static byte[] Pages(IReadOnlyList<byte[]> pages, int width, int height, string? description = null)
    {
        var images = pages.Select(p => Image.NewFromMemory(p, width, height, 1, Enums.BandFormat.Uchar)).ToArray();
        try
        {
            using var roll = Image.Arrayjoin(images, across: 1);
            using var tagged = roll.Mutate(m =>
            {
                m.Set(GValue.GIntType, "page-height", height);
                if (description is not null)
                {
                    m.Set(GValue.GStrType, "image-description", description);
                }
            });
            return tagged.TiffsaveBuffer();
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    }

    /// <summary>The OME-XML of one 8-bit image whose channels are named <paramref name="channels"/>, one page per channel and plane.</summary>
    public static string OmeXml(int width, int height, IReadOnlyList<string> channels, int sizeZ = 1, int sizeT = 1, string order = "XYCZT")
    {
        var channelElements = string.Concat(channels.Select((name, i) => $"""<Channel ID="Channel:0:{i}" Name="{name}" SamplesPerPixel="1"/>"""));
        var planes = channels.Count * sizeZ * sizeT;
        return string.Create(CultureInfo.InvariantCulture, $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="{order}" Type="uint8" SizeX="{width}" SizeY="{height}" SizeC="{channels.Count}" SizeZ="{sizeZ}" SizeT="{sizeT}" PhysicalSizeX="0.5" PhysicalSizeY="0.5">{channelElements}<TiffData IFD="0" PlaneCount="{planes}"/></Pixels></Image></OME>
            """);
    }

    /// <summary>A plane of distinct, deterministic samples: <paramref name="seed"/> tells planes apart.</summary>
    public static byte[] Samples(int width, int height, int seed)
    {
        var samples = new byte[width * height];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (byte)((i * 7) + (seed * 53));
        }

        return samples;
    }
}
