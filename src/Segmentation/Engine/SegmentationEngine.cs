using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;
using UNetPP.Cluster.Segmentation.Telemetry;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Engine;

/// <summary>
/// Segments images with one model in one mode on one device: decode → tile → batched inference
/// (shared with every other image in flight) → Gaussian blend → mask, statistics → PNG or TIFF bytes.
/// Safe to call from many tasks at once; that is how the device's batches fill up. Large images
/// take the band path instead (Bands/SegmentationEngine.Band.cs).
/// </summary>
public sealed partial class SegmentationEngine : IDisposable
{
    private readonly IDeviceSession _session;
    private readonly DeviceBatcher _batcher;
    private readonly ImageDecoder _decoder;
    private readonly InputSpec _input;
    private readonly MaskWriter _maskWriter = new(new OverlayOptions());
    private readonly MaskEncoder _masks;
    private readonly SegmentationOptions _options;
    private readonly TestTimeAugmentation _augmentation;

    /// <summary>
    /// Whether an axis shorter than a tile is padded up to it: only for a graph whose input size is
    /// fixed. The seed's network takes any size, and runs short axes at their own length instead.
    /// </summary>
    private readonly bool _padShortAxes;

    private SegmentationEngine(LoadedModel model, SegmentationOptions options, IDeviceSession session, int tileSize, bool padShortAxes)
    {
        Model = model;
        _options = options;
        _augmentation = options.Tta ? TestTimeAugmentation.Mirrored : TestTimeAugmentation.None;
        _masks = new MaskEncoder(options.MaskFormat);
        _session = session;
        var card = model.Card.ToInputSpec();
        _input = (options.Normalize is { } normalize ? card with { Normalization = normalize.ApplyTo(card.Normalization) } : card) with { Choice = options.Channels };
        _decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = options.MaxPixels });
        TileSize = tileSize;
        _padShortAxes = padShortAxes;
        _batcher = new DeviceBatcher(session, new TileShape(model.Card.InChannels, model.Card.Classes, tileSize),
            new BatcherOptions { MaxBatchSize = options.BatchSize, InFlightBatches = options.InFlightBatches });
    }

    public LoadedModel Model { get; }

    public InferenceMode Mode => _options.Mode;

    public int TileSize { get; }

    public double Overlap => _options.Overlap;

    /// <summary>The input channels the model is given (<c>--channels</c>); null when the images' own.</summary>
    public ChannelChoice? Channels => _options.Channels;

    public int BatchSize => _options.BatchSize;

    /// <summary>How the masks and probability maps are stored.</summary>
    public MaskFormat MaskFormat => _options.MaskFormat;

    /// <summary>Whether each tile's prediction is averaged with those of its flips (test-time augmentation).</summary>
    public bool Tta => _options.Tta;

    /// <summary>The device inference runs on: the one its host settled on at start (<c>auto</c> resolved), never another.</summary>
    public InferenceDevice Device => _session.Device;

    public BatcherStatistics Batching => _batcher.Statistics;

    /// <summary>How long the oldest model run now going has been running (see <see cref="DeviceBatcher.LongestRun"/>).</summary>
    public TimeSpan LongestRun => _batcher.LongestRun;

    /// <summary>
    /// Prepares the mode's graph and opens it on the device through <paramref name="runtime"/> (ONNX
    /// Runtime when none is given). Throws <see cref="ModelException"/> when the model cannot serve the
    /// request (a mode it lacks, for example).
    /// </summary>
    public static SegmentationEngine Create(LoadedModel model, SegmentationOptions options, ILogger logger, IInferenceRuntime? runtime = null)
    {
        options.Validate();
        if (!model.Card.Supports(options.Mode))
        {
            throw new ModelException(
                $"{model.Path}: mode {options.Mode.ToName()} is not available; this model offers {string.Join(", ", model.Card.Modes)}.");
        }

        var tileSize = options.TileSize ?? model.Card.TileSize;
        var graph = ModeGraph.Select(model.Model, model.Card, options.Mode);
        IDeviceSession Open(ModelProto onnx)
        {
            try
            {
                return (runtime ?? OnnxInferenceRuntime.Instance).Open(onnx.ToByteArray(), options.Device, logger);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
            {
                throw new ModelException($"{model.Path}: ONNX Runtime cannot load the model ({ex.Message}).", ex);
            }
        }

        var tile = new TileShape(model.Card.InChannels, model.Card.Classes, tileSize);
        var session = WholeTileGraph.For(graph, model.Card, tileSize, tileSize) is { } whole
            ? new TileShapedSession(Open(whole), tile, () => Open(graph))
            : Open(graph);
        try
        {
            return new SegmentationEngine(model, options, session, tileSize, HasFixedSize(graph.Graph, model.Card.InputName));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Segments one encoded image. Throws <see cref="ImageRejectedException"/> (naming the image and
    /// the reason) for input that cannot be used; other images are unaffected.
    /// </summary>
    public async Task<SegmentedImage> SegmentAsync(string name, byte[] image, GroundTruth? groundTruth, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var device = Device.ToString();
        using var stages = new ImageStages(device);
        stages.Enter(PipelineStage.Decode);
        var clock = Stopwatch.StartNew();

        // Part-filled batches wait for this image's tiles while it decodes; released once they are queued.
        using var preparing = _batcher.Preparing();
        var tensor = _decoder.Decode(name, image, _input);
        var truthKind = groundTruth is null ? null : GroundTruthRows.KindOf(_decoder, groundTruth, Model.Card.Classes);
        var instanceTruth = truthKind is { InstanceLabels: true };
        var truth = groundTruth is null ? null : instanceTruth ? Foreground(groundTruth) : _decoder.DecodeGray8(groundTruth.Name, groundTruth.Bytes);
        if (truth is not null)
        {
            // Refuse a mismatched ground truth now, not after the whole image has been through the device.
            SegmentationQuality.CheckSize(name, tensor.Width, tensor.Height, groundTruth!.Name, truth);
        }

        var decode = clock.Elapsed;

        stages.Enter(PipelineStage.Inference);
        var grid = Grid(tensor.Height, tensor.Width);
        var blender = new GaussianBlender(grid, _batcher.Shape.Classes);
        var whole = PixelRect.Whole(tensor.Width, tensor.Height);
        var (infer, blend) = await InferTilesAsync(tensor, whole, grid, grid.Tiles, blender.Add, cancellationToken, preparing);

        stages.Enter(PipelineStage.Blend);
        clock.Restart();
        var probabilities = blender.Finish();
        blend += clock.Elapsed;

        stages.Enter(PipelineStage.PostProcess);
        clock.Restart();
        var card = Model.Card;
        var mask = MaskBuilder.Build(probabilities, card.Classes, tensor.Height, tensor.Width, card.Threshold);
        var totals = ClassTotals.Count(mask, probabilities);
        var pixelSize = _masks.KeepsPixelSize || _options.Objects is { Table: true } or { GeoJson: true } ? PhysicalPixelSize.Of(image) : null;
        var separate = _options.Objects is not null || instanceTruth;
        var probability16 = _options.Probabilities || separate ? MaskBuilder.ProbabilityMap16(probabilities, card.Classes, tensor.Height, tensor.Width) : null;
        var objects = separate ? FindObjects(name, image, mask, probability16!, pixelSize, instanceTruth ? groundTruth : null) : null;
        var summary = objects is null
            ? MaskStatistics.Summarise(mask, totals)
            : MaskStatistics.Summarise(mask.Width, mask.Height, mask.Classes, objects.Found.AreasByLabel, totals);
        var quality = truth is null ? null : Quality(name, mask, probabilities, groundTruth!.Name, truth);
        var post = clock.Elapsed;

        stages.Enter(PipelineStage.Encode);
        clock.Restart();
        var maskPng = _masks.EncodeMask(mask, pixelSize);
        var probabilityPng = _options.Probabilities ? _masks.EncodeProbability(probability16!, tensor.Width, tensor.Height, pixelSize) : null;
        var overlayPng = _options.Overlays ? _maskWriter.EncodeOverlayPng(_decoder.DecodePreview(name, image, _options.Channels), mask) : null;
        var times = new StageTimes(decode, infer, blend, post, clock.Elapsed);

        Record(device, times, grid.Tiles.Count);
        return new SegmentedImage(name, tensor.Width, tensor.Height, grid.Tiles.Count, summary, quality, maskPng, probabilityPng, overlayPng, times)
        {
            Warning = tensor.Faint ? FaintWarning : null,
            Objects = objects,
            TruthKind = truthKind,
        };
    }

    /// <summary>How this engine tells touching nuclei apart: the job's smallest object, else the card's.</summary>
    public InstanceSettings ObjectSettings => InstanceSettings.Default(_options.Objects?.MinObjectSize ?? Model.Card.MinObjectSize);

    /// <summary>
    /// Separates an image held in memory into objects, row by row through the same <see cref="InstancePass"/>
    /// a band-cut image's stitched rows go through, so both give the same files.
    /// </summary>
    /// <param name="truth">Instance labels to score the objects against; null for none.</param>
    private ObjectFiles FindObjects(string name, byte[] image, SegmentationMask mask, ushort[] probability, PhysicalPixelSize? pixelSize, GroundTruth? truth)
    {
        // Instance labels alone are scored against objects that go to no file.
        var wanted = _options.Objects ?? new ObjectOutputs(Labels: false, Table: false, GeoJson: false, MinObjectSize: null);
        var input = wanted.Table || wanted.GeoJson ? _decoder.Open(name, new MemoryStream(image, writable: false)) : null;
        using var labels = wanted.Labels ? new MemoryStream() : null;
        using var table = wanted.Table ? new MemoryStream() : null;
        using var geoJson = wanted.GeoJson ? new MemoryStream() : null;
        InstanceResult found;
        var truthRows = truth is null ? null : new GroundTruthRows(_decoder, truth);
        using (var pass = new InstancePass(name, mask.Width, mask.Height, mask.Classes, ObjectSettings, MaskFormat, pixelSize, input, new ObjectStreams(labels, table, geoJson), truthRows))
        {
            for (var y = 0; y < mask.Height; y++)
            {
                pass.AddRow(mask.Labels.AsSpan(y * mask.Width, mask.Width), probability.AsSpan(y * mask.Width, mask.Width));
            }

            found = pass.Finish();
        }

        return new ObjectFiles(found, labels?.ToArray(), table?.ToArray(), geoJson?.ToArray());
    }

    /// <summary>What a user is told about an image whose values reach at most an eighth of their range under a fixed normalisation.</summary>
    public const string FaintWarning =
        "its values use at most an eighth of the sample range (12-bit data in a 16-bit file?), so the fixed normalisation shows the model a nearly black image; --normalize percentile fits it";

    /// <summary>The header of an image in a seekable stream: its size, read without decoding pixels.</summary>
    public static ImageInfo ReadInfo(string name, Stream image) => ImageDecoder.ReadInfo(name, image);

    /// <summary>The planes of a file with several, each to be segmented as an image (<see cref="ImageDecoder.ReadPlanes"/>); empty for one image.</summary>
    public static IReadOnlyList<string> ReadPlanes(string name, Stream image) => ImageDecoder.ReadPlanes(name, image);

    public void Dispose()
    {
        _batcher.Dispose();
        _session.Dispose();
    }

    /// <summary>Whether the graph's input names a fixed height and width rather than leaving them open.</summary>
    private static bool HasFixedSize(Onnx.GraphProto graph, string inputName)
    {
        var dims = graph.Input.FirstOrDefault(i => i.Name == inputName)?.Type?.TensorType?.Shape?.Dim;
        return dims is { Count: 4 } && dims.Skip(2).All(d => d.ValueCase == Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue);
    }

    private TileGrid Grid(int height, int width) => new(height, width, TileSize, _options.Overlap, _padShortAxes);

    /// <summary>Per-image stage durations; inference is timed per model run by the batcher instead.</summary>
    private static void Record(string device, StageTimes times, int tiles)
    {
        StageMetrics.RecordDuration(PipelineStage.Decode, device, times.Decode);
        StageMetrics.RecordDuration(PipelineStage.Blend, device, times.Blend);
        StageMetrics.RecordDuration(PipelineStage.PostProcess, device, times.PostProcess);
        if (times.Encode > TimeSpan.Zero)
        {
            StageMetrics.RecordDuration(PipelineStage.Encode, device, times.Encode);
        }

        StageMetrics.RecordTiles(device, tiles);
    }

    /// <summary>Instance labels as the binary mask pixel scores compare against: every object foreground.</summary>
    private Gray8Image Foreground(GroundTruth truth)
    {
        using var rows = new GroundTruthRows(_decoder, truth);
        var pixels = new byte[rows.Width * rows.Height];
        rows.ReadForeground(0, rows.Height, pixels);
        return new Gray8Image(rows.Width, rows.Height, pixels);
    }

    private IReadOnlyList<ClassQuality> Quality(string name, SegmentationMask mask, float[] probabilities, string truthName, Gray8Image truth) =>
        Model.Card.Classes == 1
            ? [SegmentationQuality.Binary(name, probabilities, mask.Width, mask.Height, truthName, truth)]
            : SegmentationQuality.PerClass(name, mask, truthName, truth);

    /// <summary>
    /// Sends the tiles in chunks of one batch, blending a chunk's results while the next one runs,
    /// so the device never waits for this image's blending. Buffers come from the shared pool.
    /// With test-time augmentation each tile goes with its flipped views in the same request (a chunk is
    /// then four batches), so they batch like any other tiles, and is averaged back to one tile before
    /// blending (counted as blend time): the whole-image and band paths both come through here, so a
    /// band gets the same values as the whole image.
    /// </summary>
    /// <param name="preparing">The image's place among those being decoded, given up once its first tiles are queued.</param>
    private async Task<(TimeSpan Infer, TimeSpan Blend)> InferTilesAsync(
        ImageTensor tensor, PixelRect window, TileGrid grid, IReadOnlyList<Tile> tiles, TileResult blend, CancellationToken cancellationToken, IDisposable? preparing = null)
    {
        var shape = _batcher.Shape with { Height = grid.WindowHeight, Width = grid.WindowWidth };
        var chunk = _options.BatchSize;
        var views = _augmentation.Views;
        var inLength = views * shape.InputLength;
        var outLength = views * shape.OutputLength;
        var buffers = new[]
        {
            (Input: ArrayPool<float>.Shared.Rent(chunk * inLength), Output: ArrayPool<float>.Shared.Rent(chunk * outLength)),
            (Input: ArrayPool<float>.Shared.Rent(chunk * inLength), Output: ArrayPool<float>.Shared.Rent(chunk * outLength)),
        };
        var infer = TimeSpan.Zero;
        var blending = TimeSpan.Zero;
        Task? running = null;
        Task? next = null;
        try
        {
            var runningStart = 0;
            var runningCount = 0;
            var runningBuffer = 0;
            var started = Stopwatch.GetTimestamp();
            for (var first = 0; first < tiles.Count || running is not null; first += chunk)
            {
                next = null;
                var count = Math.Min(chunk, tiles.Count - first);
                var buffer = 1 - runningBuffer;
                if (count > 0)
                {
                    for (var i = 0; i < count; i++)
                    {
                        var block = buffers[buffer].Input.AsSpan(i * inLength, inLength);
                        grid.CopyTile(tensor, window, tiles[first + i], block[..shape.InputLength]);
                        _augmentation.Expand(block, shape.Height, shape.Width);
                    }

                    next = _batcher.InferAsync(shape, buffers[buffer].Input, buffers[buffer].Output, count * views, cancellationToken);
                    preparing?.Dispose();
                }

                if (running is not null)
                {
                    await running;
                    var blendStart = Stopwatch.GetTimestamp();
                    var output = buffers[runningBuffer].Output;
                    for (var i = 0; i < runningCount; i++)
                    {
                        blend(tiles[runningStart + i], _augmentation.Merge(output.AsSpan(i * outLength, outLength), shape.Height, shape.Width));
                    }

                    blending += Stopwatch.GetElapsedTime(blendStart);
                }

                (running, runningStart, runningCount, runningBuffer) = (next, first, count, buffer);
            }

            infer = Stopwatch.GetElapsedTime(started) - blending;
        }
        finally
        {
            // A failed or cancelled image may leave a chunk in the device's queue: the buffers go
            // back to the pool only once nothing can write into them any more.
            foreach (var pending in new[] { running, next })
            {
                if (pending is not null)
                {
                    await pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }

            foreach (var (input, output) in buffers)
            {
                ArrayPool<float>.Shared.Return(input);
                ArrayPool<float>.Shared.Return(output);
            }
        }

        return (infer, blending);
    }

    /// <summary>Takes one tile's probabilities [K, H, W] as they come back from the device.</summary>
    private delegate void TileResult(Tile tile, ReadOnlySpan<float> probabilities);
}
