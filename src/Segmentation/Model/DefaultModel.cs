namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The model used when none is named: the seed's NestedUNet (default filters, deep supervision,
/// RGB in, one class) with weights initialised from a fixed seed. It is not trained, so its masks
/// show the pipeline working rather than meaningful objects.
/// </summary>
public static class DefaultModel
{
    public const string Name = "built-in NestedUNet (untrained, seed 0)";

    private const int Seed = 0;

    public static LoadedModel Load()
    {
        var options = new NestedUNetOptions();
        var card = ModelCard.ForNestedUNet(options);
        var model = NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, Seed), card);
        return new LoadedModel(Name, model, card);
    }
}
