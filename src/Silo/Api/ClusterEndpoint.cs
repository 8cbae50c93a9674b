using Microsoft.AspNetCore.Http.HttpResults;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Silo.Api;

/// <summary><c>GET /v1/cluster</c>: the device workers of every silo, as <c>unetpp cluster --json</c> prints them.</summary>
internal static class ClusterEndpoint
{
    public static void Map(IEndpointRouteBuilder v1) =>
        v1.MapGet("/cluster", WorkersAsync)
            .RequireApiRight(ApiRight.Read)
            .WithTags("Cluster")
            .WithName("GetCluster")
            .WithSummary("The silos and their workers")
            .WithDescription("Every device worker heard from in the last minutes, with its silo, device, the shards it holds, what it has done, how old its last report is and whether it still answers: what 'unetpp cluster --json' prints.");

    private static async Task<Ok<List<WorkerView>>> WorkersAsync(SegmentationClient jobs) =>
        TypedResults.Ok((await jobs.GetWorkersAsync()).Select(WorkerView.Of).ToList());
}
