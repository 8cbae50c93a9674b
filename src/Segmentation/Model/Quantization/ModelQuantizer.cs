using System.Globalization;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>A model quantised to int8, with its card and what was done.</summary>
/// <param name="Model">The QDQ graph, card inside.</param>
/// <param name="Card">Its card: precision int8, and the calibration.</param>
/// <param name="Summary">Convolutions quantised and left in float, values carried as uint8.</param>
/// <param name="BatchNormsFolded">BatchNormalization nodes folded into their convolutions first.</param>
/// <param name="Ranges">Each calibrated value's range.</param>
public sealed record QuantizedModel(ModelProto Model, ModelCard Card, QdqSummary Summary, int BatchNormsFolded, IReadOnlyDictionary<string, ActivationRange> Ranges);

/// <summary>
/// Static int8 quantisation of a float32 segmentation model for ONNX Runtime's CPU provider: BatchNormalization
/// folded into the convolutions, activation ranges calibrated on tiles of real images run through the float
/// model, then the graph rewritten in QDQ form (<see cref="QdqRewriter"/>): int8 weights per output channel,
/// uint8 activations per tensor. The image input and the heads stay float32, so every inference mode still
/// selects and prunes the file by the card's head names as it does a float one.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>Quantises <paramref name="model"/> on tiles from the images in <paramref name="calibrationFolder"/>.</summary>
    /// <exception cref="ModelException">The model cannot be quantised (already int8, float16, no convolution); names the file and why.</exception>
    /// <exception cref="InvalidDataException">The folder holds no images.</exception>
    /// <exception cref="Imaging.ImageRejectedException">An image cannot be read or does not fit the model.</exception>
    public static QuantizedModel Quantize(LoadedModel model, string calibrationFolder, QuantizationOptions options, CancellationToken cancellationToken = default)
    {
        CheckQuantizable(model);
        CheckOptions(options);
        var tiles = CalibrationTiles.Plan(calibrationFolder, model.Card, options.Tiles);
        return Quantize(model, tiles, options, cancellationToken);
    }

    /// <summary>Quantises <paramref name="model"/> on the planned <paramref name="tiles"/>.</summary>
    public static QuantizedModel Quantize(LoadedModel model, CalibrationTiles tiles, QuantizationOptions options, CancellationToken cancellationToken = default)
    {
        CheckQuantizable(model);
        CheckOptions(options);
        var quantized = model.Model.Clone();
        var folded = BatchNormFolding.Fold(quantized.Graph);
        var plan = QdqPlan.For(quantized.Graph, model.Card);
        if (plan.Convs.Count == 0)
        {
            throw ModelException.For(model.Path, "has no convolution to quantise (every Conv is a head, or its weights are not float32 initializers)");
        }

        Dictionary<string, ActivationHistogram> histograms;
        using (var calibrator = new Calibrator(quantized, model.Card.InputName, plan.Calibrated, options.Threads))
        {
            calibrator.Run(tiles.Read(), cancellationToken);
            histograms = calibrator.Histograms.ToDictionary(StringComparer.Ordinal);
        }

        var ranges = plan.Calibrated.ToDictionary(
            name => name, name => ActivationRange.Choose(histograms[name], options.Method, options.Percentile), StringComparer.Ordinal);
        var summary = QdqRewriter.Rewrite(quantized.Graph, plan, ranges);
        var card = model.Card with
        {
            Precision = ModelCard.Int8,
            Calibration = new CalibrationRecord
            {
                Method = options.Method.ToName(),
                Percentile = options.Method == RangeMethod.Percentile ? options.Percentile : null,
                Images = tiles.Images,
                Tiles = tiles.Count,
            },
        };
        card.WriteTo(quantized);
        return new QuantizedModel(quantized, card, summary, folded, ranges);
    }

    /// <summary>Refuses, naming the file, a model that is not a float32 one this can quantise.</summary>
    /// <exception cref="ModelException">Why not.</exception>
    public static void CheckQuantizable(LoadedModel model)
    {
        var graph = model.Model.Graph;
        if (model.Card.Precision == ModelCard.Int8
            || graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "ConvInteger"))
        {
            throw ModelException.For(model.Path, "is already quantised (int8); quantise the float32 model it was made from");
        }

        if (model.Card.Precision == ModelCard.Fp16 || graph.Initializer.Any(t => t.DataType == (int)TensorProto.Types.DataType.Float16))
        {
            throw ModelException.For(
                model.Path, "is float16 (fp16); int8 needs the float32 weights: quantise the fp32 file (unetpp model build without --precision fp16)");
        }

        var opset = model.Model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        if (opset < 13)
        {
            throw ModelException.For(
                model.Path, string.Create(CultureInfo.InvariantCulture, $"uses ONNX opset {opset}; int8 per-channel weights need opset 13 or later"));
        }
    }

    private static void CheckOptions(QuantizationOptions options)
    {
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
    }
}
