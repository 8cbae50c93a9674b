namespace UNetPP.Cluster.Contracts;

/// <summary>
/// How one image of a shard fared, one of seven outcomes and no other: <see cref="ImageSegmented"/>,
/// <see cref="ImageSkipped"/> (done and current from an earlier job), <see cref="ImageLeftOut"/> (not
/// asked for by --retry-failed), <see cref="ImageOversized"/> (left for the band path),
/// <see cref="ImageHasPlanes"/> (a file of several planes, each to be an image),
/// <see cref="BandStored"/> and <see cref="ImageFailed"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageResult")]
public abstract record ImageResult
{
    // Closed: the seven outcomes below are the only ones.
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

    /// <summary>Why an image that an earlier job had done was segmented again (its input changed, say); null when it had not been done.</summary>
    [Id(1)] public string? Redone { get; init; }
}

/// <summary>
/// A continuing job found the image's outputs complete and made from the same input bytes, model and
/// options (its manifest says so): it was not segmented again, and counts as done with its recorded figures.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageSkipped")]
public sealed record ImageSkipped : ImageResult
{
    [Id(0)] public required ImageSummary Summary { get; init; }

    /// <summary>The job whose run made the outputs.</summary>
    [Id(1)] public required string MadeBy { get; init; }
}

/// <summary>With --retry-failed, an image the earlier job did not fail whose outputs are not current: left as it is, with the reason.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageLeftOut")]
public sealed record ImageLeftOut : ImageResult
{
    [Id(0)] public required string Reason { get; init; }
}

/// <summary>
/// The image is above the job's band threshold: the worker read only its header and left it, and the
/// coordinator cuts it into band shards.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageOversized")]
public sealed record ImageOversized : ImageResult
{
    [Id(0)] public required ImageSize Size { get; init; }

    /// <summary>The whole image's normalisation for its bands, when the job's is per image; null when fixed.</summary>
    [Id(1)] public ImageIntensity? Intensity { get; init; }
}

/// <summary>
/// The file holds several planes (the pages of a multi-page TIFF, an OME-TIFF's focal planes and time
/// points): the worker read only its headers, and the coordinator adds each plane <c>--pages</c> chose
/// as an image of its own.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageHasPlanes")]
public sealed record ImageHasPlanes : ImageResult
{
    /// <summary>The chosen planes' image names (<c>x.tif#z0</c>, …), in the file's order.</summary>
    [Id(0)] public required IReadOnlyList<string> Planes { get; init; }
}

/// <summary>The shard was one band of the image, and its band part is stored.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.BandStored")]
public sealed record BandStored : ImageResult
{
    [Id(0)] public required int Index { get; init; }

    /// <summary>When the band's worker took its lease: a large image's time runs from its first band's.</summary>
    [Id(1)] public DateTimeOffset? Leased { get; init; }
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
