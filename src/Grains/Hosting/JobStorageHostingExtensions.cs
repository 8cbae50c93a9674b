using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Hosting;

public static class JobStorageHostingExtensions
{
    /// <summary>
    /// Keeps jobs and their pages in the silo's memory (a one-silo cluster on this machine, whose jobs
    /// end with it), in Orleans' own format as the blob storage of a cluster does: the default JSON
    /// serializer cannot read back a list built from a collection expression, and a finished page that
    /// left memory is read back for the report.
    /// </summary>
    public static ISiloBuilder AddJobStorageInMemory(this ISiloBuilder silo) =>
        silo.AddMemoryGrainStorage(JobGrain.StorageName, (OptionsBuilder<MemoryGrainStorageOptions> options) =>
            options.Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
}
