using System.Net.Sockets;
using Azure;

namespace UNetPP.Cluster.Storage;

/// <summary>
/// Tells a store that is unreachable for now (connection refused or reset, timeouts, throttling,
/// server errors) from a store that answered no (missing, refused, bad name). The first passes if
/// one waits; the second does not, and must not be waited on.
/// </summary>
public static class StorageFaults
{
    /// <summary>True when the failure, or what it wraps, is the storage service being unreachable or overloaded.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // The Azure SDK's retries spent: one failure per try, all of them the service not answering.
        AggregateException all => all.InnerExceptions.Count > 0 && all.InnerExceptions.All(IsUnavailable),
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        HttpRequestException or SocketException or TimeoutException => true,
        StorageObjectNotFoundException or UnauthorizedAccessException => false,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };
}
