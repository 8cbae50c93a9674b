namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>The shape of a NestedUNet (UNet++): widths of the five levels, input channels, classes, heads.</summary>
public sealed record NestedUNetOptions
{
    /// <summary>The number of resolution levels of the architecture; the filter list has one width per level.</summary>
    public const int Levels = 5;

    /// <summary>Channel width of each level, from full resolution down (the seed's <c>nb_filter</c>).</summary>
    public IReadOnlyList<int> Filters { get; init; } = [32, 64, 128, 256, 512];

    public int InChannels { get; init; } = 3;

    public int Classes { get; init; } = 1;

    /// <summary>Four heads (<c>final1..final4</c>) instead of one (<c>final</c>); needed for the fast and accurate modes.</summary>
    public bool DeepSupervision { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot describe a network.</summary>
    public void Validate()
    {
        if (Filters is null || Filters.Count != Levels)
        {
            throw new ArgumentException(
                $"Filters must have {Levels} values, one per level; got {Filters?.Count ?? 0}.", nameof(Filters));
        }

        for (var i = 0; i < Levels; i++)
        {
            if (Filters[i] <= 0)
            {
                throw new ArgumentException(
                    $"Filters[{i}] must be positive; got {Filters[i]}.", nameof(Filters));
            }
        }

        if (InChannels <= 0)
        {
            throw new ArgumentException($"InChannels must be positive; got {InChannels}.", nameof(InChannels));
        }

        if (Classes <= 0)
        {
            throw new ArgumentException($"Classes must be positive; got {Classes}.", nameof(Classes));
        }
    }
}
