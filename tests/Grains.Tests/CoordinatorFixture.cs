using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// One in-process silo with memory job storage, real local dataset storage and a clock the tests
/// move. No device workers: the tests call the job grain as a worker would.
/// </summary>
public sealed class CoordinatorFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public TestClock Clock { get; } = new();

    public TempFolder Temp { get; } = new();

    public IClusterClient Client => _cluster!.Client;

    public IJobGrain Job(string id) => Client.GetGrain<IJobGrain>(id);

    public IJobQueueGrain Queue => Client.GetGrain<IJobQueueGrain>(IJobQueueGrain.Key);

    /// <summary>Deactivates a grain and waits until it is gone, so its next call reads its persisted state.</summary>
    public Task DeactivateAsync(IAddressable grain) => _cluster!.DeactivateAsync(grain);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddMemoryGrainStorage(JobGrain.StorageName));
        builder.ConfigureSiloHost((_, host) =>
        {
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
