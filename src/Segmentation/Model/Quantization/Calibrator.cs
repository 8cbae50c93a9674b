using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model.Quantization;

/// <summary>
/// Runs calibration tiles through the float model with every value to be measured made a graph output,
/// and counts what each one takes into an <see cref="ActivationHistogram"/>. The graph input is counted
/// from the tiles themselves.
/// </summary>
internal sealed class Calibrator : IDisposable
{
    /// <summary>Tiles of one shape run together: enough to keep the cores busy, few enough that every activation of the batch fits in memory.</summary>
    private const int BatchSize = 4;

    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly string _inputName;
    private readonly string[] _outputs;
    private readonly Dictionary<string, ActivationHistogram> _histograms;

    /// <param name="folded">The float model, BatchNormalization folded, whose values are measured.</param>
    /// <param name="inputName">Its image input.</param>
    /// <param name="values">The values to measure (<see cref="QdqPlan.Calibrated"/>).</param>
    /// <param name="threads">CPU threads; 0 for every core.</param>
    public Calibrator(ModelProto folded, string inputName, IReadOnlyList<string> values, int threads)
    {
        _inputName = inputName;
        _histograms = values.ToDictionary(v => v, v => new ActivationHistogram(v), StringComparer.Ordinal);
        _outputs = [.. values.Where(v => v != inputName)];

        var model = folded.Clone();
        var graph = model.Graph;
        graph.Output.Clear();
        foreach (var name in _outputs)
        {
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        // Drop any shapes recorded for these values: they are outputs now, and the runtime infers them.
        graph.ValueInfo.Clear();
        OnnxGraph.Prune(graph);
        model.MetadataProps.Clear();
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(model.ToByteArray(), _options);
    }

    public IReadOnlyDictionary<string, ActivationHistogram> Histograms => _histograms;

    /// <summary>Runs the tiles, <see cref="BatchSize"/> of the same shape at a time, and counts every measured value.</summary>
    public int Run(IEnumerable<CalibrationTile> tiles, CancellationToken cancellationToken = default)
    {
        var count = 0;
        var pending = new List<CalibrationTile>();
        foreach (var tile in tiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pending.Count > 0 && (pending.Count == BatchSize || !SameShape(pending[0], tile)))
            {
                RunBatch(pending);
                pending.Clear();
            }

            pending.Add(tile);
            count++;
        }

        if (pending.Count > 0)
        {
            RunBatch(pending);
        }

        return count;
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }

    private static bool SameShape(CalibrationTile a, CalibrationTile b) =>
        a.Channels == b.Channels && a.Height == b.Height && a.Width == b.Width;

    private void RunBatch(List<CalibrationTile> batch)
    {
        var first = batch[0];
        var plane = first.Channels * first.Height * first.Width;
        var data = new float[batch.Count * plane];
        for (var k = 0; k < batch.Count; k++)
        {
            batch[k].Data.CopyTo(data, k * plane);
        }

        if (_histograms.TryGetValue(_inputName, out var input))
        {
            input.Add(data);
        }

        using var tensor = OrtValue.CreateTensorValueFromMemory(data, [batch.Count, first.Channels, first.Height, first.Width]);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [_inputName], [tensor], _outputs);
        var spans = results.Select((value, k) => (Name: _outputs[k], Value: value)).ToList();

        // Each histogram is its own: count them side by side.
        Parallel.ForEach(spans, output => _histograms[output.Name].Add(output.Value.GetTensorDataAsSpan<float>()));
    }
}
