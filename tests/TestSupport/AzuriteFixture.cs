using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.TestSupport;

/// <summary>
/// A real Azurite for a test class or collection: started before its tests, stopped after them. Test
/// projects include this file as a linked source (<c>&lt;Compile Include="../TestSupport/*.cs" .../&gt;</c>),
/// with <c>../Processes/AzuriteProcess.cs</c>, <c>FreePorts.cs</c> and <c>RepoPaths.cs</c>.
/// </summary>
public class AzuriteFixture : AzuriteProcess, IAsyncLifetime
{
    public AzuriteFixture()
        : this(keepDataOnRestart: false)
    {
    }

    protected AzuriteFixture(bool keepDataOnRestart)
        : base(keepDataOnRestart)
    {
    }

    public Task InitializeAsync() => StartAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}

/// <summary>An Azurite that keeps its data on disk, so a stop and start (an outage) loses nothing.</summary>
public sealed class PersistentAzuriteFixture : AzuriteFixture
{
    public PersistentAzuriteFixture()
        : base(keepDataOnRestart: true)
    {
    }
}
