using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>How a package's own test came out: the largest difference from its test output, and how many values lay beyond the tolerance.</summary>
public sealed record PackageTestResult(double LargestDifference, long Mismatched, long Values);

/// <summary>
/// The zoo's acceptance test, run the way unetpp will run the model: the test input normalised as the card
/// says (with the engine's own statistics), the graph of the card's L4 mode (with its activation) on ONNX
/// Runtime, the card's threshold where the package binarizes; then compared with the test output.
/// </summary>
internal static class PackageTest
{
    /// <summary>Runs the test; throws <see cref="InvalidDataException"/> when the output does not reproduce, with the largest difference and where.</summary>
    public static PackageTestResult Run(
        ModelProto model, ModelCard card, InputTranslation input, float? threshold, NpyArray testInput, NpyArray testOutput, TestTolerance tolerance)
    {
        if (testInput.Shape.Count != 4 || testInput.Shape[1] != card.InChannels)
        {
            throw new InvalidDataException($"the test input's shape is {Shape(testInput.Shape)}; the model takes [batch, {card.InChannels}, y, x]");
        }

        var produced = Predict(model, card, Normalize(testInput, input), testInput.Shape);
        if (!produced.Shape.SequenceEqual(testOutput.Shape))
        {
            throw new InvalidDataException($"the model gives {Shape(produced.Shape)} for the test input, but the test output is {Shape(testOutput.Shape)}");
        }

        var largest = 0.0;
        var worst = 0;
        var mismatched = 0L;
        for (var k = 0; k < produced.Values.Length; k++)
        {
            var actual = threshold is { } t ? (produced.Values[k] >= t ? 1f : 0f) : produced.Values[k];
            var expected = (double)testOutput.Values[k];
            var difference = Math.Abs(actual - expected);
            if (!(difference <= tolerance.Absolute + (tolerance.Relative * Math.Abs(expected))))
            {
                mismatched++;
            }

            if (!(difference <= largest))
            {
                (largest, worst) = (difference, k);
            }
        }

        var allowed = (long)Math.Floor(tolerance.MismatchedPerMillion * produced.Values.Length / 1e6);
        if (mismatched > allowed)
        {
            var at = Index(worst, testOutput.Shape);
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"the test output does not reproduce: {mismatched:N0} of {produced.Values.Length:N0} values differ by more than {tolerance.Absolute:G3} + {tolerance.Relative:G3} × |expected| (at most {allowed:N0} may); the largest difference is {largest:G4} at [{at}] (expected {testOutput.Values[worst]:G6})"));
        }

        return new PackageTestResult(largest, mismatched, produced.Values.Length);
    }

    /// <summary>The test input as the engine would hand it to the model: scaled to the sample range, then the card's normalisation, per image.</summary>
    private static float[] Normalize(NpyArray tensor, InputTranslation input)
    {
        var (batch, channels) = ((int)tensor.Shape[0], (int)tensor.Shape[1]);
        var plane = (int)(tensor.Shape[2] * tensor.Shape[3]);
        var values = new float[tensor.Values.Length];
        for (var n = 0; n < batch; n++)
        {
            IntensityStatistics? statistics = null;
            if (input.Normalization.PerImage)
            {
                statistics = new IntensityStatistics(channels);
                for (var c = 0; c < channels; c++)
                {
                    statistics.Add(c, [.. Plane(tensor.Values, n, c, channels, plane).ToArray().Select(v => (float)(v / input.Scale))]);
                }
            }

            var (offset, divisor) = input.Normalization.For(statistics);
            for (var c = 0; c < channels; c++)
            {
                var start = ((n * channels) + c) * plane;
                for (var k = start; k < start + plane; k++)
                {
                    values[k] = (float)(((tensor.Values[k] / input.Scale) - offset[c]) / divisor[c]);
                }
            }
        }

        return values;
    }

    private static ReadOnlySpan<float> Plane(float[] values, int n, int c, int channels, int plane) =>
        values.AsSpan(((n * channels) + c) * plane, plane);

    private static (long[] Shape, float[] Values) Predict(ModelProto model, ModelCard card, float[] input, IReadOnlyList<long> shape)
    {
        var graph = ModeGraph.Select(model, card, InferenceMode.L4);
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        InferenceSession session;
        try
        {
            session = new InferenceSession(graph.ToByteArray(), options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"ONNX Runtime cannot load the model: {e.Message.Split('\n')[0].Trim()}", e);
        }

        using (session)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, [.. shape]);
            using var runOptions = new RunOptions();
            try
            {
                using var results = session.Run(runOptions, [card.InputName], [value], [ModeGraph.OutputName]);
                return (results[0].GetTensorTypeAndShape().Shape, results[0].GetTensorDataAsSpan<float>().ToArray());
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"the model fails on the test input: {e.Message.Split('\n')[0].Trim()}", e);
            }
        }
    }

    private static string Index(int flat, IReadOnlyList<long> shape)
    {
        var index = new long[shape.Count];
        var rest = (long)flat;
        for (var d = shape.Count - 1; d >= 0; d--)
        {
            index[d] = rest % shape[d];
            rest /= shape[d];
        }

        return string.Join(", ", index);
    }

    private static string Shape(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
