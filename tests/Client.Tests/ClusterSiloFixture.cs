using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetVips;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Silo;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Client.Tests;

/// <summary>
/// A real one-silo cluster in this process on free loopback ports (localhost clustering, one CPU
/// worker), a small model and a folder of images: what the cluster commands are run against. Its
/// jobs' priorities age a step a second (<c>Jobs:PriorityAgeing</c>), so ageing shows within a test.
/// </summary>
public sealed class ClusterSiloFixture : IAsyncLifetime, IDisposable
{
    public const string ClusterId = "unetpp-client-tests";

    private readonly TempFolder _temp = new();
    private IHost? _silo;

    public string Gateway { get; private set; } = "";

    /// <summary>A deeply supervised model with filters 4…64 and 64-pixel tiles: quick on one CPU thread.</summary>
    public string Model { get; private set; } = "";

    /// <summary>Three small images, one in a sub-folder.</summary>
    public string Images { get; private set; } = "";

    /// <summary>The cluster's calls from inside the silo: for watching jobs closely without a client connection per look.</summary>
    public SegmentationClient Jobs => new(_silo!.Services.GetRequiredService<IGrainFactory>());

    /// <summary>The options every command needs to reach this cluster.</summary>
    public string[] Cluster => ["--gateway", Gateway, "--cluster-id", ClusterId];

    public string NewOutput() => _temp.File($"out-{Guid.NewGuid():N}");

    /// <summary>A folder of <paramref name="count"/> images of <paramref name="edge"/>² pixels, for a job that takes a while.</summary>
    public string ManyImages(int count, int edge)
    {
        var folder = Directory.CreateDirectory(_temp.File($"many-{Guid.NewGuid():N}")).FullName;
        var first = Path.Combine(folder, "image-000.png");
        TestImages.WriteDiscs(first, edge, edge, bands: 3);
        for (var i = 1; i < count; i++)
        {
            File.Copy(first, Path.Combine(folder, $"image-{i:000}.png"));
        }

        return folder;
    }

    public async Task InitializeAsync()
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = 64 };
        Model = _temp.File("small.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 3), card), Model);
        Images = Directory.CreateDirectory(_temp.File("images")).FullName;
        Directory.CreateDirectory(Path.Combine(Images, "plate-1"));
        TestImages.WriteDiscs(Path.Combine(Images, "a.png"), 96, 80, bands: 3);
        TestImages.WriteDiscs(Path.Combine(Images, "plate-1", "b.png"), 40, 50, bands: 1);
        TestImages.WriteDiscs(Path.Combine(Images, "c.png"), 70, 70, bands: 3);

        var ports = FreePorts.Take(2);
        var gatewayPort = ports[1];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Id"] = ClusterId,
            ["Cluster:Clustering"] = nameof(ClusteringKind.Localhost),
            ["Cluster:SiloPort"] = $"{ports[0]}",
            ["Cluster:GatewayPort"] = $"{gatewayPort}",
            ["Inference:Devices"] = "cpu",
            ["Inference:Threads"] = "1",
            ["Inference:BatchSize"] = "4",
            ["Inference:PollInterval"] = "00:00:00.100",
            ["Jobs:PriorityAgeing"] = "00:00:01",
        });
        builder.Logging.ClearProviders();
        builder.AddSegmentationSilo();
        _silo = builder.Build();
        await _silo.StartAsync();
        Gateway = $"127.0.0.1:{gatewayPort}";
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync(CancellationToken.None);
            _silo.Dispose();
        }
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>The test classes that share one running silo; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterSilo : ICollectionFixture<ClusterSiloFixture>
{
    public const string Name = "cluster silo";
}
