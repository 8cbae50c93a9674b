using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>
/// The silos the job API tests call, started once for all of them: <see cref="Working"/>, a plain
/// <c>unetpp-silo</c> whose jobs run to their end, and <see cref="Stalled"/>, one whose device hangs on
/// its first model run (<c>Faults:StallAfterBatches</c> 0), so a job there stays running for as long as a
/// test looks at it and ends only when cancelled. Both have a small model and a folder of images to use.
/// </summary>
public sealed class ApiSilos : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "unetpp-api-tests", Guid.NewGuid().ToString("N"));

    public ApiSilo Working { get; private set; } = null!;

    public ApiSilo Stalled { get; private set; } = null!;

    /// <summary>A deeply supervised model with filters 4…64 and 64-pixel tiles: quick on one CPU thread.</summary>
    public string Model { get; private set; } = "";

    /// <summary>The six sample images of the repository.</summary>
    public string Images { get; private set; } = "";

    /// <summary>A new folder for a job's output (not created: the job makes it).</summary>
    public string NewOutput() => Path.Combine(_folder, $"out-{Guid.NewGuid():N}");

    /// <summary>A folder of <paramref name="good"/> sample images and, before them by name, <paramref name="broken"/> files no decoder reads.</summary>
    public string NewImages(int broken, int good)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, $"images-{Guid.NewGuid():N}")).FullName;
        for (var i = 0; i < broken; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"a-broken-{i}.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4]);
        }

        var samples = Directory.GetFiles(Images).Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < good; i++)
        {
            File.Copy(samples[i % samples.Length], Path.Combine(folder, $"b-good-{i}.png"));
        }

        return folder;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        Model = Path.Combine(_folder, "small.onnx");
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 3), ModelCard.ForNestedUNet(options) with { TileSize = 64 }), Model);
        Images = Directory.CreateDirectory(Path.Combine(_folder, "images")).FullName;
        foreach (var sample in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "nuclei", "images")))
        {
            File.Copy(sample, Path.Combine(Images, Path.GetFileName(sample)));
        }

        var logs = Path.Combine(_folder, "logs");
        var working = ApiSilo.StartAsync("api-working", logs);
        var stalled = ApiSilo.StartAsync("api-stalled", logs, RepoPaths.FaultySiloDll, new Dictionary<string, string> { ["Faults__StallAfterBatches"] = "0" });
        try
        {
            Working = await working;
        }
        finally
        {
            Stalled = await stalled;
        }
    }

    public async Task DisposeAsync()
    {
        if (Working is not null)
        {
            await Working.DisposeAsync();
        }

        if (Stalled is not null)
        {
            await Stalled.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>The test classes that call the job API of the shared <see cref="ApiSilos"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SharedApiSilos : ICollectionFixture<ApiSilos>
{
    public const string Name = "job api silos";
}
