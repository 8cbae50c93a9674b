using System.Globalization;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.Quantization;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// The int8 rows: each configuration's model quantised once (the shipped model for the small filters, the
/// seeded one for the seed's), calibrated on synthetic nuclei tiles of another seed than the images measured,
/// then raw L4 in int8 and in float32 measured side by side, interleaved, best of each kept.
/// </summary>
internal sealed class Int8Benchmark(EngineBenchmark raw, int repeats, bool quick, TextWriter log)
{
    public const string RawL4 = "raw L4 int8";

    private readonly Dictionary<string, (LoadedModel Float, LoadedModel Int8)> _models = new(StringComparer.Ordinal);

    /// <summary>The int8 row of <paramref name="config"/>; its ratio is to float32 raw L4 of the same model, measured beside it.</summary>
    public BenchRow Measure(BenchConfig config, string workFolder)
    {
        var (fp32, int8) = Models(config, workFolder);
        double best32 = 0, best8 = 0;
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            best32 = Math.Max(best32, raw.MeasureRaw(fp32.Model, fp32.Card, InferenceMode.L4, config.TileSize));
            best8 = Math.Max(best8, raw.MeasureRaw(int8.Model, int8.Card, InferenceMode.L4, config.TileSize));
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {config.Name} {RawL4,-36} {best8,8:F2} tiles/s (float32 beside it {best32:F2})"));
        var macs = ModelFigures.Measure(fp32.Model, fp32.Card, InferenceMode.L4, config.TileSize, config.TileSize).MultiplyAccumulates;
        return new BenchRow(RawL4, config.Name, "L4", best8, best8 / best32, macs * best8 / 1e9);
    }

    /// <summary>At 256: int8 raw L4 at least twice as fast as float32 raw L4 on the same model.</summary>
    public static IEnumerable<BenchTarget> Targets(IEnumerable<BenchRow> rows) =>
        rows.Where(r => r.Name == RawL4 && r.Config.EndsWith("@256", StringComparison.Ordinal))
            .Select(r => new BenchTarget($"{r.Config}: raw INT8 L4 / raw FP32 L4", ">= 2", r.RatioToRaw, r.RatioToRaw >= 2));

    /// <summary>Each mode's IoU with the int8 file within 0.003 of the float32 file's (rows without test-time augmentation).</summary>
    public static IEnumerable<BenchTarget> QualityTargets(IReadOnlyList<QualityRow> fp32, IReadOnlyList<QualityRow> int8) =>
        from f in fp32.Where(r => !r.Tta)
        join q in int8.Where(r => !r.Tta) on f.Mode equals q.Mode
        let difference = Math.Abs(q.MeanIoU - f.MeanIoU)
        select new BenchTarget($"{f.Mode}: abs(IoU int8 − IoU fp32)", "<= 0.003", difference, difference <= 0.003);

    private (LoadedModel Float, LoadedModel Int8) Models(BenchConfig config, string workFolder)
    {
        var key = string.Join(",", config.Filters);
        if (_models.TryGetValue(key, out var cached))
        {
            return cached;
        }

        LoadedModel fp32;
        if (config.Filters.SequenceEqual(DefaultModel.Load().Card.Filters))
        {
            fp32 = DefaultModel.Load();
        }
        else
        {
            var options = new NestedUNetOptions { Filters = config.Filters, DeepSupervision = true };
            var card = ModelCard.ForNestedUNet(options);
            var path = Path.Combine(workFolder, "int8-float.onnx");
            ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, seed: 0), card), path);
            fp32 = ModelFile.Load(path);
        }

        // Calibration images of another seed than the measured ones; the seed's wide model costs most to calibrate.
        var calibration = Path.Combine(workFolder, "int8-calibration");
        var tiles = quick ? 8 : config.Filters[0] >= 32 ? 32 : 96;
        SamplesCommand.Write(calibration, tiles, fp32.Card.TileSize, fp32.Card.TileSize, seed: 7);
        var quantized = ModelQuantizer.Quantize(fp32, Path.Combine(calibration, "images"), new QuantizationOptions { Tiles = tiles });
        var int8Path = Path.Combine(Path.GetTempPath(), $"unetpp-bench-int8-{Environment.ProcessId}-{key.Replace(',', '-')}.onnx");
        ModelFile.Save(quantized.Model, int8Path);
        log.WriteLine($"  {config.Name} quantised: {quantized.Summary.QuantizedConvs} int8 convolutions, {quantized.Card.Calibration}");
        var models = (fp32, ModelFile.Load(int8Path));
        File.Delete(int8Path);
        _models[key] = models;
        return models;
    }
}
