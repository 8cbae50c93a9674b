namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>Where an image's outputs go under the job's output: the same relative name, as PNG, in one folder per kind.</summary>
public static class OutputNames
{
    public const string Masks = "masks";
    public const string Probabilities = "probabilities";
    public const string Overlays = "overlays";

    public static string For(string folder, string imageName) => $"{folder}/{Path.ChangeExtension(imageName, ".png")}";
}
