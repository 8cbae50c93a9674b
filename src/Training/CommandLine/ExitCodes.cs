namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>The exit codes scripts rely on; the same numbers as <c>unetpp</c>'s.</summary>
internal static class ExitCodes
{
    /// <summary>The model was trained and written.</summary>
    public const int Success = 0;

    /// <summary>A usage, configuration or data error: nothing was trained.</summary>
    public const int UsageError = 2;

    /// <summary>Stopped by Ctrl-C (SIGINT), as shells number it: 128 + 2.</summary>
    public const int Interrupted = 130;
}
