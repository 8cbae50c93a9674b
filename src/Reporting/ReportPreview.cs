namespace UNetPP.Cluster.Reporting;

/// <summary>One sampled image on the report page: its thumbnail with the mask over it, or why there is none.</summary>
/// <param name="Name">The image's name under the job's input.</param>
/// <param name="Png">The thumbnail, or null when it could not be made.</param>
/// <param name="Problem">Why there is no thumbnail; null when there is one.</param>
public sealed record ReportPreview(string Name, byte[]? Png, string? Problem)
{
    public static ReportPreview Of(string name, byte[] png) => new(name, png, null);

    public static ReportPreview Missing(string name, string problem) => new(name, null, problem);
}
