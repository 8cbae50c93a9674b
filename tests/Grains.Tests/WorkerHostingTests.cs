using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Grains.Hosting;
using UNetPP.Cluster.Segmentation.Inference;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>What the device workers run their models on: ONNX Runtime, unless the host says otherwise.</summary>
public sealed class WorkerHostingTests
{
    [Fact]
    public void WorkersRunOnOnnxRuntimeByDefault()
    {
        using var services = new ServiceCollection().AddDeviceWorkers().BuildServiceProvider();

        Assert.Same(OnnxInferenceRuntime.Instance, services.GetRequiredService<IInferenceRuntime>());
    }

    [Fact]
    public void ARuntimeTheHostRegisteredFirstIsKept()
    {
        var runtime = new OtherRuntime();
        using var services = new ServiceCollection().AddSingleton<IInferenceRuntime>(runtime).AddDeviceWorkers().BuildServiceProvider();

        Assert.Same(runtime, services.GetRequiredService<IInferenceRuntime>());
    }

    private sealed class OtherRuntime : IInferenceRuntime
    {
        public IDeviceSession Open(byte[] model, DeviceSessionOptions options, ILogger logger) => throw new NotSupportedException();
    }
}
