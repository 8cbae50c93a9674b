namespace UNetPP.Cluster.Contracts;

/// <summary>
/// A large image's per-image normalisation, measured once over the whole image before it is cut into
/// bands: per channel, model input is (x − offset) / divisor. Every band gets the same numbers, so the
/// stitched mask is the one an uncut run gives.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.ImageIntensity")]
public sealed record ImageIntensity([property: Id(0)] float[] Offset, [property: Id(1)] float[] Divisor);
