namespace UNetPP.Cluster.Contracts;

/// <summary>
/// How one image of a shard fared, one of four outcomes and no other: <see cref="ImageSegmented"/>,
/// <see cref="ImageOversized"/> (left for the band path), <see cref="BandStored"/> and <see cref="ImageFailed"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageResult")]
public abstract record ImageResult
{
    // Closed: the four outcomes below are the only ones.
    private protected ImageResult()
    {
    }

    [Id(0)] public required string Name { get; init; }

    /// <summary>The silo whose worker did it, for the report's share per silo.</summary>
    [Id(1)] public string? Silo { get; init; }
}

/// <summary>The image was segmented and its files written.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSegmented")]
public sealed record ImageSegmented : ImageResult
{
    [Id(0)] public required ImageSummary Summary { get; init; }
}

/// <summary>
/// The image is above the job's band threshold: the worker read only its header and left it, and the
/// coordinator cuts it into band shards.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageOversized")]
public sealed record ImageOversized : ImageResult
{
    [Id(0)] public required ImageSize Size { get; init; }
}

/// <summary>The shard was one band of the image, and its band part is stored.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.BandStored")]
public sealed record BandStored : ImageResult
{
    [Id(0)] public required int Index { get; init; }
}

/// <summary>The image could not be done this time.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageFailed")]
public sealed record ImageFailed : ImageResult
{
    [Id(0)] public required string Reason { get; init; }

    /// <summary>
    /// False for failures that another try cannot change (a corrupt file, a wrong channel count):
    /// those are recorded at once instead of being retried.
    /// </summary>
    [Id(1)] public bool Retryable { get; init; }
}

/// <summary>What a worker found in a header: an image too large for one machine at a time, and the tile side it would use.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSize")]
public sealed record ImageSize([property: Id(0)] int Width, [property: Id(1)] int Height, [property: Id(2)] int TileSize);
