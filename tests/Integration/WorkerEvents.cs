using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>
/// The device workers' log events the tests look for, by the ids the silo gives them
/// (<c>src/Grains/Workers/DeviceWorker.Log.cs</c>, <c>ImageAttempt.cs</c>): what an operator's alert keys on
/// too, so a reworded message breaks neither.
/// </summary>
internal static class WorkerEvents
{
    public const string Category = "UNetPP.Cluster.Grains.Workers.DeviceWorker";

    /// <summary>A model run took longer than <c>Inference:StallTimeout</c>: fields Worker, Device, Seconds, Limit.</summary>
    public const int DeviceHung = 105;

    /// <summary>A worker handed a job's unfinished shards back: fields Worker, JobId.</summary>
    public const int ShardsHandedBack = 106;

    /// <summary>Storage did not answer a read or write of an image, which is tried again: fields Image, Reason, Seconds.</summary>
    public const int StorageDidNotAnswer = 111;

    public static bool Is(this LogEvent record, int eventId) => record.EventId == eventId && record.Category == Category;
}
