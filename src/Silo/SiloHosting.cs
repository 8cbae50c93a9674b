using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Segmentation;

namespace UNetPP.Cluster.Silo;

public static class SiloHosting
{
    /// <summary>
    /// Makes this host a silo of the segmentation cluster: Orleans configured from <c>Cluster:*</c>,
    /// job state in memory (Localhost) or Azure Blob storage (AzureStorage), and one device worker
    /// per <c>Inference:Devices</c> entry. Settings are checked here, before anything starts, so a
    /// bad one stops the silo with a message that names it.
    /// </summary>
    public static IHostApplicationBuilder AddSegmentationSilo(this IHostApplicationBuilder builder)
    {
        // Before the native libraries allocate much: a silo runs for days, and their freed blocks must not stay resident.
        NativeHeap.KeepFreedBlocksReturnable();
        var settings = ClusterSettings.From(builder.Configuration);
        var tls = settings.Tls;
        var problems = settings.Problems().Concat(tls.Problems()).ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(ClusterSettings.SectionName, typeof(ClusterSettings), problems);
        }

        // Data in az:// locations lives in the cluster's account unless told otherwise.
        if (string.IsNullOrWhiteSpace(builder.Configuration["Storage:BlobConnection"]) && settings.StorageConnection is { Length: > 0 } connection)
        {
            builder.Configuration["Storage:BlobConnection"] = connection;
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ClusterId = settings.Id;
                o.ServiceId = settings.Id;
            });
            var address = IPAddress.Parse(settings.AdvertisedAddress);
            if (settings.Clustering == ClusteringKind.Localhost)
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort,
                    new IPEndPoint(address, settings.PrimarySiloPort ?? settings.SiloPort), settings.Id, settings.Id);
                silo.AddJobStorageInMemory();
            }
            else
            {
                silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(settings.StorageConnection));
                // Job state in Orleans' own format, the one its messages already travel in: the default JSON
                // storage serializer records runtime type names, and a list built from a collection expression
                // has a compiler-made type that it cannot resolve again, so a job could not be read back after
                // its silo died.
                silo.AddAzureBlobGrainStorage(JobGrain.StorageName, (OptionsBuilder<AzureBlobStorageOptions> options) =>
                    options.Configure<Serializer>((o, serializer) =>
                    {
                        o.BlobServiceClient = new BlobServiceClient(settings.StorageConnection);
                        o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                    }));
            }

            silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
            if (tls.Enabled)
            {
                var certificate = tls.LoadCertificate();
                var authority = tls.LoadAuthority();
                silo.UseTls(certificate, o => ClusterTls.Configure(o, certificate, authority));
            }

            // Calls between grains carry the caller's trace, so a job's spans form one trace across silos.
            silo.AddActivityPropagation();
            if (SiloTelemetry.DashboardEnabled(builder.Configuration))
            {
                silo.AddDashboard();
            }

            // Orleans' own knobs, for operators and for tests that kill silos and want them noticed quickly.
            silo.Services.Configure<Orleans.Configuration.ClusterMembershipOptions>(builder.Configuration.GetSection("Cluster:Membership"));
            silo.Services.Configure<Orleans.Configuration.SiloMessagingOptions>(builder.Configuration.GetSection("Cluster:Messaging"));
        });

        builder.Services.AddSingleton(settings.Seal());
        builder.Services.AddDeviceWorkers();
        return builder;
    }
}
