namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The model used when none is named: a compact NestedUNet (filters 8…128, deep supervision, RGB in,
/// one class) trained on synthetic fluorescence nuclei by <c>unetpp-train</c> (models/README.md has
/// the command line and its scores). It ships in <c>models/</c> and beside every program built here.
/// </summary>
public static class DefaultModel
{
    public const string FileName = "nuclei-unetpp.onnx";

    public const string Name = "built-in nuclei UNet++ (" + FileName + ")";

    /// <summary>Where a built program finds it: the build copies <c>models/</c> next to the program.</summary>
    public static string Location => Path.Combine(AppContext.BaseDirectory, "models", FileName);

    /// <exception cref="ModelException">The file is not beside the program (a broken installation).</exception>
    public static LoadedModel Load() =>
        File.Exists(Location)
            ? ModelFile.Load(Location)
            : throw new ModelException($"{Location}: the built-in model is missing from this installation; rebuild, or name a model with --model.");
}
