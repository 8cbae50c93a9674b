namespace UNetPP.Cluster.Client;

/// <summary>The exit codes scripts rely on.</summary>
internal static class ExitCodes
{
    /// <summary>Every image was segmented.</summary>
    public const int Success = 0;

    /// <summary>The job ran, but some images failed; they are listed.</summary>
    public const int ImagesFailed = 1;

    /// <summary>A usage, configuration or model error: nothing ran.</summary>
    public const int UsageError = 2;

    /// <summary>Stopped by Ctrl-C (SIGINT), as shells number it: 128 + 2.</summary>
    public const int Interrupted = 130;
}
