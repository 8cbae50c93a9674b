using System.Buffers.Binary;
using System.Text;
using UNetPP.Cluster.Segmentation.Model.BioImage;

namespace UNetPP.Cluster.Segmentation.Tests.Model.BioImage;

public sealed class NpyArrayTests
{
    [Theory]
    [InlineData("<f8", 8)]
    [InlineData("<u2", 2)]
    [InlineData("|u1", 1)]
    public void ReadsEachSampleTypeAsFloats(string descr, int size)
    {
        var bytes = Npy(descr, "(2, 3)", size, [0, 1, 2, 3, 4, 250]);

        var array = NpyArray.Read(bytes);

        Assert.Equal([2L, 3L], array.Shape);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 250f], array.Values);
    }

    [Theory]
    [InlineData("<f4", "True", "Fortran order")]
    [InlineData(">f4", "False", "dtype '>f4' is not read")]
    public void RefusesWhatItCannotReadSaying(string descr, string fortran, string message)
    {
        var bytes = Npy(descr, "(2,)", 4, [1, 2], fortran);

        var error = Assert.Throws<InvalidDataException>(() => NpyArray.Read(bytes));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static byte[] Npy(string descr, string shape, int size, double[] values, string fortran = "False")
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n";
        var data = new byte[values.Length * size];
        for (var k = 0; k < values.Length; k++)
        {
            var at = data.AsSpan(k * size, size);
            switch (size)
            {
                case 8: BinaryPrimitives.WriteDoubleLittleEndian(at, values[k]); break;
                case 4: BinaryPrimitives.WriteSingleLittleEndian(at, (float)values[k]); break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)values[k]); break;
                default: at[0] = (byte)values[k]; break;
            }
        }

        return [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0, .. Encoding.Latin1.GetBytes(header), .. data];
    }
}
