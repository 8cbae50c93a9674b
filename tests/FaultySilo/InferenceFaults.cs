using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.FaultySilo;

/// <summary>The faults this silo injects, each from a setting of its own; with none set it is the plain silo.</summary>
internal static class InferenceFaults
{
    /// <summary>After this many model runs per engine, every further run on the device hangs for good.</summary>
    public const string StallAfterBatches = "Faults:StallAfterBatches";

    /// <summary>Wraps the inference runtime the silo registered in a <see cref="HangingRuntime"/> when <see cref="StallAfterBatches"/> is set.</summary>
    public static WebApplicationBuilder AddInferenceFaults(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(StallAfterBatches) is not { } healthyRuns)
        {
            return builder;
        }

        if (healthyRuns < 0)
        {
            throw new InvalidOperationException($"{StallAfterBatches} {healthyRuns}: the model runs before the hang are 0 or more.");
        }

        var registered = builder.Services.Last(d => d.ServiceType == typeof(IInferenceRuntime));
        builder.Services.Remove(registered);
        builder.Services.Add(ServiceDescriptor.Describe(
            typeof(IInferenceRuntime), services => new HangingRuntime(Resolve(services, registered), healthyRuns), registered.Lifetime));
        return builder;
    }

    /// <summary>The service <paramref name="registered"/> describes, made as the container would have made it.</summary>
    private static IInferenceRuntime Resolve(IServiceProvider services, ServiceDescriptor registered) =>
        (IInferenceRuntime)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, registered.ImplementationType!));
}
