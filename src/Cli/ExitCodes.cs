namespace UNetPP.Cluster.Cli;

/// <summary>The exit codes scripts rely on, the same in <c>unetpp</c> and <c>unetpp-train</c>.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked was done: every image segmented, the model trained.</summary>
    public const int Success = 0;

    /// <summary>The job ran, but some images failed; they are listed.</summary>
    public const int ImagesFailed = 1;

    /// <summary>A usage, configuration, model or data error: nothing ran.</summary>
    public const int UsageError = 2;

    /// <summary>Stopped by Ctrl-C (SIGINT) or SIGTERM, numbered as shells number Ctrl-C: 128 + 2.</summary>
    public const int Interrupted = 130;
}
