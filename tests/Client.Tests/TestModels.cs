using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Tests;

internal static class TestModels
{
    /// <summary>
    /// A small deeply supervised model with 64-pixel tiles, saved at <paramref name="path"/>: it keeps
    /// command tests fast, and the engine is the same for any size.
    /// </summary>
    public static string WriteSmall(string path)
    {
        var options = new NestedUNetOptions { Filters = [4, 8, 16, 32, 64], DeepSupervision = true };
        var card = ModelCard.ForNestedUNet(options) with { TileSize = 64 };
        ModelFile.Save(NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, 3), card), path);
        return path;
    }
}
