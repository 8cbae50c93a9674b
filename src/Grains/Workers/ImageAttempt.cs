using System.Diagnostics;
using Microsoft.Extensions.Logging;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Telemetry;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// One image's try within a shard, whatever the shard's kind: its span, storage that does not answer
/// waited out, and any trouble turned into the image's failed result (counted by reason), so the
/// rest of the shard goes on.
/// </summary>
public sealed partial class ImageAttempt(ClusterMetrics metrics, string device, TimeSpan storageOutageTolerance, ILogger logger)
{
    /// <summary>Runs <paramref name="work"/> for <paramref name="name"/>; its result and tiles, or the image's failure and none.</summary>
    public async Task<(ImageResult Result, int Tiles)> RunAsync(string name, Func<Task<(ImageResult, int)>> work, CancellationToken cancellationToken)
    {
        using var span = ClusterTelemetry.Traces.StartActivity("image");
        span?.SetTag("unetpp.image", name);
        var backoff = new OutageBackoff(storageOutageTolerance, TimeProvider.System);
        while (true)
        {
            try
            {
                return await work();
            }
            catch (ImageRejectedException ex)
            {
                return Failed(span, name, ex.Reason, retryable: false, FailureKind.BadImage);
            }
            catch (Exception ex) when (StorageFaults.IsUnavailable(ex) && backoff.CanWait && !cancellationToken.IsCancellationRequested)
            {
                // Storage that does not answer is nobody's fault and usually passes: the image is
                // done again once it answers, without spending one of its tries.
                LogStorageUnavailable(logger, name, backoff.Pause.TotalSeconds, ex.Message);
                await backoff.WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return Failed(span, name, ex.Message, retryable: !IsPermanent(ex), Kind(ex));
            }
        }
    }

    /// <summary>The failed result of an image, for a failure that another try cannot change.</summary>
    public static ImageFailed Failure(string name, string reason, bool retryable) => new() { Name = name, Reason = reason, Retryable = retryable };

    private (ImageResult, int) Failed(Activity? span, string name, string reason, bool retryable, string kind)
    {
        span?.SetStatus(ActivityStatusCode.Error, reason);
        metrics.ImageFailed(device, kind);
        return (Failure(name, reason, retryable), 0);
    }

    private static string Kind(Exception ex) => ex switch
    {
        ModelException => FailureKind.Model,
        Azure.RequestFailedException or IOException or UnauthorizedAccessException or StorageObjectNotFoundException
            or HttpRequestException or TimeoutException => FailureKind.Storage,
        _ => FailureKind.Other,
    };

    /// <summary>
    /// Failures another try cannot change: a name the output store refuses, a setting that does not
    /// fit, a band part that is missing or damaged. Everything else (storage, network, memory on a
    /// busy silo) may go well next time or elsewhere.
    /// </summary>
    private static bool IsPermanent(Exception ex) =>
        ex is ArgumentException or FormatException or NotSupportedException or InvalidDataException or StorageObjectNotFoundException;

    // Logged in the device worker's category, whose ids start at 101 (DeviceWorker.Log.cs).
    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "{Image}: storage did not answer ({Reason}); trying again in {Seconds} s.")]
    private static partial void LogStorageUnavailable(ILogger logger, string image, double seconds, string reason);
}
