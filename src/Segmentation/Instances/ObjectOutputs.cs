namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>What a job makes of each image's objects; at least one of the files is asked for.</summary>
/// <param name="Labels">An instance label image (<c>--instances</c>).</param>
/// <param name="Table">A row per object in the job's object table (<c>--objects</c>).</param>
/// <param name="GeoJson">A QuPath FeatureCollection (<c>--geojson</c>).</param>
/// <param name="MinObjectSize">Objects of fewer pixels are left out; null takes the model card's.</param>
public sealed record ObjectOutputs(bool Labels, bool Table, bool GeoJson, int? MinObjectSize);
