using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// A ground truth read row by row as whole numbers, its first channel in the file's own units: instance
/// ids (1…N, up to 65,535 in a 16-bit file) or a mask's values. Ids must not be scaled as a mask's gray
/// levels are: id 300 of a 16-bit file is not 1 of 8 bits. Rows are read top to bottom.
/// </summary>
public sealed class GroundTruthRows : IDisposable
{
    private readonly StreamedImage _image;
    private readonly float[] _samples;

    /// <exception cref="ImageRejectedException">The ground truth cannot be read; the message names it.</exception>
    public GroundTruthRows(ImageDecoder decoder, GroundTruth truth)
    {
        _image = decoder.Open(truth.Name, new MemoryStream(truth.Bytes, writable: false));
        _samples = new float[_image.Info.ColorBands * _image.Width];
    }

    public int Width => _image.Width;

    public int Height => _image.Height;

    /// <summary>Whether a one-class model's ground truth holds instance labels rather than a binary mask: a pass over every row.</summary>
    public static GroundTruthKind KindOf(ImageDecoder decoder, GroundTruth truth, int classes)
    {
        var kind = new GroundTruthKind(classes);
        if (classes != 1)
        {
            return kind;
        }

        using var rows = new GroundTruthRows(decoder, truth);
        var ids = new int[rows.Width];
        for (var y = 0; y < rows.Height && !kind.InstanceLabels; y++)
        {
            rows.Read(y, ids);
            kind.AddRow<int>(ids);
        }

        return kind;
    }

    /// <summary>Reads row <paramref name="y"/>.</summary>
    public void Read(int y, Span<int> ids)
    {
        _image.ReadSampleRows(y, 1, _samples);
        for (var x = 0; x < ids.Length; x++)
        {
            ids[x] = (int)_samples[x];
        }
    }

    /// <summary>Reads rows as a binary mask for pixel scores: 255 wherever an instance is, else 0.</summary>
    public void ReadForeground(int top, int count, Span<byte> destination)
    {
        var ids = new int[Width];
        for (var r = 0; r < count; r++)
        {
            Read(top + r, ids);
            var row = destination.Slice(r * Width, Width);
            for (var x = 0; x < Width; x++)
            {
                row[x] = ids[x] == 0 ? (byte)0 : (byte)255;
            }
        }
    }

    public void Dispose() => _image.Dispose();
}
