using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// Settles, once at start, which device a <see cref="DeviceChoice"/> runs on, by opening a one-node
/// model there through the runtime every engine uses: ONNX Runtime lists CUDA as available even
/// where it cannot load, so only opening a session tells. A device named and unusable is an error;
/// <c>auto</c> without a usable CUDA device is the CPU, with one warning saying why.
/// </summary>
public sealed class DeviceProbe(IInferenceRuntime runtime, DeviceSessionOptions settings, ILogger logger)
{
    private static readonly byte[] Model = OneNodeModel();

    /// <summary>The device <paramref name="choice"/> runs on; throws <see cref="DeviceUnavailableException"/> for a named device that cannot.</summary>
    public InferenceDevice Resolve(DeviceChoice choice)
    {
        if (choice.Device is { } named)
        {
            if (named.IsCuda)
            {
                Open(named);
            }

            return named;
        }

        var cuda = InferenceDevice.Cuda(0);
        try
        {
            Open(cuda);
            logger.AutoChoseCuda(cuda);
            return cuda;
        }
        catch (DeviceUnavailableException ex)
        {
            logger.AutoChoseCpu(ex.Message);
            return InferenceDevice.Cpu;
        }
    }

    private void Open(InferenceDevice device)
    {
        try
        {
            // The probe's own session says nothing: the engines' sessions log where they run.
            runtime.Open(Model, settings with { Device = device }, NullLogger.Instance).Dispose();
        }
        catch (OnnxRuntimeException ex)
        {
            // The model is one node that every provider runs, so a failure here is the device's.
            throw CudaFailure.Unavailable(device, ex);
        }
    }

    /// <summary>[N, 1, H, W] in, the same out through one Relu: the smallest graph a session accepts.</summary>
    private static byte[] OneNodeModel()
    {
        var graph = new GraphProto { Name = "probe" };
        graph.Input.Add(OnnxGraph.FloatValue("input", "N", 1, "H", "W"));
        graph.Output.Add(OnnxGraph.FloatValue("output", "N", 1, "H", "W"));
        graph.Node.Add(OnnxGraph.Node("Relu", "relu", ["input"], "output"));
        var model = new ModelProto { IrVersion = NestedUNetBuilder.IrVersion, Graph = graph, ProducerName = "unetpp device probe" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = NestedUNetBuilder.Opset });
        return model.ToByteArray();
    }
}

internal static partial class DeviceProbeLog
{
    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Inference device auto is {Device}: CUDA can be used there.")]
    public static partial void AutoChoseCuda(this ILogger logger, InferenceDevice device);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Inference device auto is cpu: {Reason}.")]
    public static partial void AutoChoseCpu(this ILogger logger, string reason);
}
