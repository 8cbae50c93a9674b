using Google.Protobuf;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Tests.Inference;

/// <summary>Hand-made ONNX graphs small enough to reason about exactly.</summary>
internal static class TinyModels
{
    /// <summary>
    /// output[n, k, y, x] = sum_c weights[k, c] * input[n, c, y, x] + k: a 1x1 convolution whose
    /// result for any tile can be computed by hand.
    /// </summary>
    public static byte[] PointwiseConvolution(int channels, int classes, out float[] weights)
    {
        weights = new float[classes * channels];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (i % 5) - 2 + (0.25f * i);
        }

        var bias = Enumerable.Range(0, classes).Select(k => (float)k).ToArray();
        var graph = new GraphProto { Name = "pointwise" };
        graph.Input.Add(Value("input", "N", channels, "H", "W"));
        graph.Output.Add(Value("output", "N", classes, "H", "W"));
        graph.Initializer.Add(Tensor("w", weights, classes, channels, 1, 1));
        graph.Initializer.Add(Tensor("b", bias, classes));
        var conv = new NodeProto { OpType = "Conv", Name = "conv" };
        conv.Input.Add(["input", "w", "b"]);
        conv.Output.Add("output");
        graph.Node.Add(conv);
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    public static float Expected(float[] weights, int channels, int k, ReadOnlySpan<float> pixelChannels)
    {
        var sum = (float)k;
        for (var c = 0; c < channels; c++)
        {
            sum += weights[(k * channels) + c] * pixelChannels[c];
        }

        return sum;
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        tensor.FloatData.Add(values);
        return tensor;
    }

    private static ValueInfoProto Value(string name, string n, int c, string h, string w)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = n });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = c });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = h });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = w });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
