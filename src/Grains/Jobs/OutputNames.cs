using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Grains.Jobs;

/// <summary>
/// Where an image's outputs go under the job's output: the same relative name in one folder per kind,
/// masks and probability maps in the job's format (<see cref="MaskFormats.FileName"/>), overlays as PNG.
/// </summary>
public static class OutputNames
{
    public const string Masks = "masks";
    public const string Probabilities = "probabilities";
    public const string Overlays = "overlays";
    public const string Instances = "instances";
    public const string GeoJson = "geojson";

    /// <summary>Each image's part of the object table; the job's <see cref="ObjectsCsv"/> and <see cref="ObjectsParquet"/> are made from them.</summary>
    public const string ObjectParts = "objects";

    public const string ObjectsCsv = "objects.csv";
    public const string ObjectsParquet = "objects.parquet";

    /// <summary>Where a large image's band parts wait to be stitched; removed when the job ends.</summary>
    public const string BandParts = ".parts";

    /// <summary>
    /// Names the job whose results the output holds (its id, as text), created atomically when the job
    /// is submitted: another job may write there only when its user says --overwrite.
    /// </summary>
    public const string Owner = JobReport.OwnerFileName;

    /// <summary>An output of the image in the job's format: <c>masks/x.png</c>, or <c>masks/x.z3.png</c> for a plane of x.tif (<see cref="MaskFormats.FileName"/>).</summary>
    public static string For(string folder, string imageName, MaskFormat format = MaskFormat.Png) => $"{folder}/{MaskFormats.FileName(imageName, format)}";

    /// <summary>An image's instance label image, named as <see cref="Segmentation.Instances.LabelImageWriter.FileName"/> gave it.</summary>
    public static string InstancesOf(string labelFile) => $"{Instances}/{labelFile}";

    /// <summary>An image's rows of the object table: <c>objects/x.parquet</c>.</summary>
    public static string ObjectPartOf(string imageName) => $"{ObjectParts}/{MaskFormats.StemOf(imageName)}.parquet";

    /// <summary>An image's QuPath objects: <c>geojson/x.geojson</c>.</summary>
    public static string GeoJsonOf(string imageName) => $"{GeoJson}/{MaskFormats.StemOf(imageName)}.geojson";

    /// <summary>The part of band <paramref name="index"/> of an image, kept per job so two jobs writing to one output never mix parts.</summary>
    public static string BandPart(string jobId, string imageName, int index) => $"{BandParts}/{jobId}/{imageName}.{index}.band";
}
