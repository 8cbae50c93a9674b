namespace UNetPP.Cluster.Contracts;

/// <summary>
/// What a shard asks of its worker, one of three kinds and no other: <see cref="ImagesWork"/> (whole
/// images), <see cref="BandWork"/> (one band of a large image) and <see cref="StitchWork"/> (joining a
/// large image's bands into its files). Large images take the band path: an image found above the job's
/// band threshold (<c>--region-pixels</c>) is cut into bands of whole rows that several workers segment
/// at once, each storing a band part; one stitch then joins the parts row by row.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ShardWork")]
public abstract record ShardWork
{
    // Closed: the three kinds below are the only ones, so a switch over them is complete.
    private protected ShardWork()
    {
    }

    /// <summary>The images this work is about; a band or a stitch is about one.</summary>
    public abstract IReadOnlyList<string> Images { get; }
}

/// <summary>Whole images, named relative to the job's input, each segmented and written by the worker.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImagesWork")]
public sealed record ImagesWork([property: Id(0)] IReadOnlyList<string> Names) : ShardWork
{
    public override IReadOnlyList<string> Images => Names;

    /// <summary>
    /// With --retry-failed, images the earlier job did not fail: each is skipped when its outputs are
    /// current and left out otherwise, never segmented.
    /// </summary>
    [Id(1)] public bool OnlyIfCurrent { get; init; }
}

/// <summary>
/// Band <see cref="Index"/> of <see cref="Count"/> of a large image: the full-width rows from
/// <see cref="Top"/>, <see cref="Height"/> high. Its worker computes every tile that touches them and
/// stores the result as the image's band part of that index. <see cref="Intensity"/> is the whole
/// image's per-image normalisation, measured once for all its bands; null when the job's is fixed.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.BandWork")]
public sealed record BandWork(
    [property: Id(0)] string Image,
    [property: Id(1)] int Index,
    [property: Id(2)] int Count,
    [property: Id(3)] int Width,
    [property: Id(4)] int Top,
    [property: Id(5)] int Height,
    [property: Id(6)] ImageIntensity? Intensity = null) : ShardWork
{
    public override IReadOnlyList<string> Images => [Image];

    /// <summary>The band as people read it in a failure: which one, its size and where.</summary>
    public string Describe() => FormattableString.Invariant($"band {Index + 1} of {Count} ({Width}×{Height} at row {Top})");
}

/// <summary>A large image whose <see cref="Bands"/> band parts are all stored and wait to be joined into its files.</summary>
[GenerateSerializer, Immutable, Alias("unetpp.StitchWork")]
/// <param name="FirstBandLeased">When the image's first band was leased: the image's time is from then to its stitched outputs written.</param>
public sealed record StitchWork([property: Id(0)] string Image, [property: Id(1)] int Bands, [property: Id(2)] DateTimeOffset? FirstBandLeased = null) : ShardWork
{
    public override IReadOnlyList<string> Images => [Image];
}
