using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// One in-process silo with job storage that keeps and measures serialized states, real local
/// dataset storage and a clock the tests move. No device workers: the tests call the job grain
/// as a worker would.
/// </summary>
public sealed class CoordinatorFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public TestClock Clock { get; } = new();

    public TempFolder Temp { get; } = new();

    public IClusterClient Client => _cluster!.Client;

    /// <summary>The silo's job storage, to see what jobs and their pages wrote.</summary>
    public MeasuredGrainStorage Storage => _cluster!.Silos[0].ServiceProvider.GetRequiredService<MeasuredGrainStorage>();

    public IJobGrain Job(string id) => Client.GetGrain<IJobGrain>(id);

    public IJobQueueGrain Queue => Client.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key);

    /// <summary>Deactivates a grain and waits until it is gone, so its next call reads its persisted state.</summary>
    public Task DeactivateAsync(IAddressable grain) => _cluster!.DeactivateAsync(grain);

    /// <summary>Submits a job over a folder of its own holding <paramref name="images"/> files, and checks that it runs.</summary>
    public async Task<(string Id, IJobGrain Job)> SubmitAsync(int images, int shardSize)
    {
        var id = Work.NewJobId();
        var input = Temp.Folder(id, [.. Enumerable.Range(0, images).Select(i => $"img-{i:D2}.png")]);
        var job = Job(id);
        var status = await job.SubmitAsync(Work.Spec(input, Temp.File(id + "-out"), shardSize));
        Assert.Equal(JobState.Running, status.State);
        return (id, job);
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddSingleton<MeasuredGrainStorage>();
            host.Services.AddKeyedSingleton<IGrainStorage>(JobGrain.StorageName, (services, _) => services.GetRequiredService<MeasuredGrainStorage>());
            host.Services.AddSingleton<TimeProvider>(Clock);
            host.Services.AddDatasetStorage();
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
}

/// <summary>Tests that share the coordinator silo run one after another: they move one clock.</summary>
[CollectionDefinition(Name)]
public sealed class CoordinatorGroup : ICollectionFixture<CoordinatorFixture>
{
    public const string Name = "coordinator";
}
