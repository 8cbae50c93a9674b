using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Inference;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Bench;

/// <summary>
/// <c>unetpp-bench object-cost</c>: what objects add to a job. The same images go through the engine
/// plainly (L4, mask only), with label images, with the object table too, and with GeoJSON too,
/// interleaved round by round and best time kept, so all are measured side by side; what each adds per
/// 256² of image is set against the plain run's, which is nearly all inference.
/// </summary>
internal static class ObjectCostCommand
{
    private const int TilePixels = 256 * 256;

    private static readonly Option<string?> Model = new("--model") { Description = "ONNX model (default: the built-in model)." };
    private static readonly Option<string> Data = new("--data") { Description = "A folder with images/.", Required = true };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Timed rounds; the best of each configuration is kept.", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads per operator (default: all cores)." };

    public static Command Create()
    {
        var command = new Command("object-cost", "Time of instance labels, the object table and GeoJSON against plain L4 segmentation, per 256² of image.") { Model, Data, Rounds, Threads };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = parse.GetValue(Model) is { } path ? ModelFile.Load(path) : DefaultModel.Load();
            var images = Directory.GetFiles(Path.Combine(parse.GetRequiredValue(Data), "images")).Order(StringComparer.Ordinal)
                .Select(file => (Name: Path.GetFileName(file), Bytes: File.ReadAllBytes(file))).ToList();
            var device = new DeviceSessionOptions { IntraOpThreads = parse.GetValue(Threads) };
            var plain = new SegmentationOptions { Device = device };
            var configurations = new (string Name, SegmentationOptions Options)[]
            {
                ("plain L4 (mask)", plain),
                ("--instances", plain with { Objects = new ObjectOutputs(Labels: true, Table: false, GeoJson: false, MinObjectSize: null) }),
                ("--instances --objects", plain with { Objects = new ObjectOutputs(Labels: true, Table: true, GeoJson: false, MinObjectSize: null) }),
                ("--instances --objects --geojson", plain with { Objects = new ObjectOutputs(Labels: true, Table: true, GeoJson: true, MinObjectSize: null) }),
            };
            var best = new Dictionary<string, double>();
            long pixels = 0;
            for (var round = 0; round < Math.Max(1, parse.GetValue(Rounds)); round++)
            {
                foreach (var (name, options) in configurations)
                {
                    using var engine = SegmentationEngine.Create(model, options, NullLogger.Instance);
                    pixels = 0;
                    var clock = Stopwatch.StartNew();
                    foreach (var image in images)
                    {
                        var result = await engine.SegmentAsync(image.Name, image.Bytes, null, cancellationToken);
                        pixels += (long)result.Width * result.Height;
                    }

                    var seconds = clock.Elapsed.TotalSeconds;
                    best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), seconds);
                    Console.Error.WriteLine(FormattableString.Invariant($"  round {round + 1}: {name} {seconds:F2} s"));
                }
            }

            var tiles = (double)pixels / TilePixels;
            var plainMs = best[configurations[0].Name] * 1000 / tiles;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{images.Count} images, {tiles:F1} × 256² of image; best of {parse.GetValue(Rounds)} interleaved rounds"));
            Console.WriteLine("| run | ms per 256² | objects' part, ÷ plain L4 |");
            Console.WriteLine("|---|---|---|");
            foreach (var (name, _) in configurations)
            {
                var ms = best[name] * 1000 / tiles;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ms:F1} | {(name == configurations[0].Name ? "" : $"{(ms - plainMs) / plainMs:F3}")} |"));
            }

            return 0;
        });
        return command;
    }
}
