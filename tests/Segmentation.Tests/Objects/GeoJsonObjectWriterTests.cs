using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Tests.Objects;

public sealed class GeoJsonObjectWriterTests
{
    private static readonly ImageObject[] Objects =
    [
        TestObjects.Draw(1, 1, 4, 2, "##", "##"),
        TestObjects.Draw(2, 2, 10, 0, "###", "#.#", "###"),
    ];

    [Fact]
    public void FeaturesCarryQuPathsProperties()
    {
        using var document = JsonDocument.Parse(Write("field 1.tif", null));

        var root = document.RootElement;
        Assert.Equal("FeatureCollection", root.GetProperty("type").GetString());
        var features = root.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(2, features.Length);
        var first = features[0];
        Assert.Equal("Feature", first.GetProperty("type").GetString());
        Assert.Equal(8, Guid.Parse(first.GetProperty("id").GetString()!).Version);
        var properties = first.GetProperty("properties");
        Assert.Equal("detection", properties.GetProperty("objectType").GetString());
        Assert.Equal("1", properties.GetProperty("name").GetString());
        Assert.Equal("Nucleus", properties.GetProperty("classification").GetProperty("name").GetString());
        Assert.Equal([255, 255, 0], properties.GetProperty("classification").GetProperty("color").EnumerateArray().Select(c => c.GetInt32()));
        var measurements = properties.GetProperty("measurements");
        Assert.Equal(4, measurements.GetProperty("area_px").GetInt32());
        Assert.Equal(5.0, measurements.GetProperty("centroid_x_px").GetDouble());
        Assert.Equal(0.5, measurements.GetProperty("mean_probability").GetDouble());
        Assert.False(measurements.TryGetProperty("area_um2", out _));
        Assert.False(measurements.TryGetProperty("object_id", out _));
        Assert.Equal("Mitotic", features[1].GetProperty("properties").GetProperty("classification").GetProperty("name").GetString());
    }

    [Fact]
    public void MicrometresAreMeasurementsWhenThePixelSizeIsKnown()
    {
        using var document = JsonDocument.Parse(Write("a", new PhysicalPixelSize(0.25, 0.25)));

        var measurements = document.RootElement.GetProperty("features")[0].GetProperty("properties").GetProperty("measurements");

        Assert.Equal(0.25, measurements.GetProperty("area_um2").GetDouble());
    }

    [Fact]
    public void GeometriesReadBackAsTheOutlines()
    {
        var options = new JsonSerializerOptions { Converters = { new GeoJsonConverterFactory() } };
        using var document = JsonDocument.Parse(Write("a", null));

        var features = document.RootElement.GetProperty("features").EnumerateArray().ToArray();

        for (var i = 0; i < Objects.Length; i++)
        {
            var geometry = features[i].GetProperty("geometry").Deserialize<Geometry>(options)!;
            Assert.True(ObjectOutline.Trace(Objects[i]).EqualsExact(geometry));
        }
        Assert.Single(((Polygon)features[1].GetProperty("geometry").Deserialize<Geometry>(options)!).Holes);
    }

    [Fact]
    public void TheSameImageGivesTheSameBytesAndAnotherImageOtherIds()
    {
        var first = Write("plate/A1.tif", null);

        Assert.Equal(first, Write("plate/A1.tif", null));
        using var one = JsonDocument.Parse(first);
        using var other = JsonDocument.Parse(Write("plate/A2.tif", null));
        Assert.NotEqual(
            one.RootElement.GetProperty("features")[0].GetProperty("id").GetString(),
            other.RootElement.GetProperty("features")[0].GetProperty("id").GetString());
    }

    private static byte[] Write(string imageName, PhysicalPixelSize? pixelSize)
    {
        using var output = new MemoryStream();
        using (var writer = new GeoJsonObjectWriter(output, imageName, new ObjectTableColumns([])))
        {
            foreach (var imageObject in Objects)
            {
                writer.Write(imageObject, imageObject.ClassIndex == 1 ? "Nucleus" : "Mitotic", ObjectMeasurer.Measure(imageObject, pixelSize));
            }
            writer.Complete();
        }
        return output.ToArray();
    }
}
