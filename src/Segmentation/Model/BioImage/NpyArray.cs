using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// A tensor read from numpy's <c>.npy</c> format, as bioimage.io packages ship their test tensors, with its
/// values as float32 in C order. Read by hand because no maintained .NET library reads the format.
/// </summary>
public sealed partial record NpyArray(IReadOnlyList<long> Shape, float[] Values)
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Reads little-endian float32, float64, uint8 or uint16 in C order. Throws <see cref="InvalidDataException"/>
    /// saying what is wrong in the file's own terms (its dtype, its order).
    /// </summary>
    public static NpyArray Read(byte[] bytes)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a numpy .npy file");
        }

        var major = bytes[6];
        var (headerLength, start) = major == 1
            ? (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)), 10)
            : ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), 12);
        if (start + headerLength > bytes.Length)
        {
            throw new InvalidDataException("the .npy header is cut short");
        }

        // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 64, 64), }
        var header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = DescrPattern().Match(header) is { Success: true } d ? d.Groups[1].Value
            : throw new InvalidDataException("the .npy header has no dtype ('descr')");
        if (FortranPattern().Match(header) is { Success: true } f && f.Groups[1].Value == "True")
        {
            throw new InvalidDataException("the array is stored in Fortran order; save it with numpy in C order");
        }

        var shapeText = ShapePattern().Match(header) is { Success: true } s ? s.Groups[1].Value
            : throw new InvalidDataException("the .npy header has no shape");
        long[] shape = [.. shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => long.Parse(p.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture))];
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var data = bytes.AsSpan(start + headerLength);
        var size = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            "|u1" or "<u1" => 1,
            "<u2" => 2,
            _ => throw new InvalidDataException($"the array's dtype '{descr}' is not read; use little-endian float32, float64, uint8 or uint16"),
        };
        if (data.Length < count * size)
        {
            throw new InvalidDataException($"the file holds {data.Length} bytes of data for a {string.Join("×", shape)} array of '{descr}'");
        }

        var values = new float[count];
        for (var k = 0; k < values.Length; k++)
        {
            var at = data.Slice(k * size, size);
            values[k] = size switch
            {
                4 => BinaryPrimitives.ReadSingleLittleEndian(at),
                8 => (float)BinaryPrimitives.ReadDoubleLittleEndian(at),
                1 => at[0],
                _ => BinaryPrimitives.ReadUInt16LittleEndian(at),
            };
        }

        return new NpyArray(shape, values);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
