using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NetVips;
using Orleans.TestingHost;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// Two in-process silos, each running the real device workers on the CPU (one thread each), with a
/// small model and a folder of small valid images. Time is real: the workers poll and renew on it.
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public const int ImageCount = 12;

    private InProcessTestCluster? _cluster;

    public TempFolder Temp { get; } = new();

    public IClusterClient Client => _cluster!.Client;

    public string Model => Temp.File("small.onnx");

    public string Images => Temp.File("images");

    /// <summary>Every input image with its size, names relative to <see cref="Images"/>.</summary>
    public IReadOnlyList<(string Name, int Width, int Height)> Expected { get; private set; } = [];

    public async Task InitializeAsync()
    {
        WriteSmallModel(Model);
        Expected = [.. Enumerable.Range(0, ImageCount).Select(i => (i % 3 == 0 ? $"plate-{i % 2}/img-{i:D2}.png" : $"img-{i:D2}.png", 40 + (i * 3), 36 + (i * 2)))];
        foreach (var (name, width, height) in Expected)
        {
            WriteImage(Path.Combine(Images, name), width, height, seed: width);
        }

        var settings = new Dictionary<string, string?>
        {
            ["Inference:Devices"] = "cpu",
            ["Inference:Threads"] = "1",
            ["Inference:BatchSize"] = "4",
            ["Inference:PollInterval"] = "00:00:00.100",
            ["Inference:ShutdownGrace"] = "00:00:01",
            ["Inference:ModelCache"] = Temp.File("model-cache"),
        };
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddJobStorageInMemory());
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(settings);
            host.Services.AddDeviceWorkers();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Temp.Dispose();
    }

    /// <summary>A small UNet++ (filters 4 to 64, 64-pixel tiles) with its first weights, quick to run on the CPU; returns its path.</summary>
    public static string WriteSmallModel(string path)
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = 64 };
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 3), card), path);
        return path;
    }

    /// <summary>Bright discs on a ramp with noise: something for the model to respond to, different in every image.</summary>
    public static void WriteImage(string path, int width, int height, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var disc = ((x - (width / 3)) * (x - (width / 3))) + ((y - (height / 2)) * (y - (height / 2))) < width * height / 20;
                for (var b = 0; b < 3; b++)
                {
                    pixels[(((y * width) + x) * 3) + b] = (byte)((disc ? 200 : x) + random.Next(20));
                }
            }
        }

        using var image = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        image.WriteToFile(path);
    }
}

[CollectionDefinition(Name)]
public sealed class EndToEndGroup : ICollectionFixture<EndToEndFixture>
{
    public const string Name = "end to end";
}
