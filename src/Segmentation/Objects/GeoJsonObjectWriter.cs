using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// Writes an image's objects as a GeoJSON FeatureCollection that QuPath imports as detections (File › Import
/// objects), feature by feature as objects come, so an image with many objects takes no more memory than one.
/// Coordinates are image pixels; ids are derived from image and object, so the same image gives identical bytes.
/// </summary>
/// <remarks>
/// Properties follow QuPath 0.4+'s own GeoJSON (qupath-core PathObjectTypeAdapters): "objectType", "name",
/// "classification" as {"name", "color": [r, g, b]}, "measurements" as an object of name → number, and a UUID "id".
/// </remarks>
public sealed class GeoJsonObjectWriter : IDisposable
{
    /// <summary>Bytes held before they go to the stream: a bound on memory that keeps writes large.</summary>
    private const int FlushBytes = 64 * 1024;

    private static readonly JsonSerializerOptions GeometryOptions = new()
    {
        // Outlines are already oriented as RFC 7946 asks.
        Converters = { new GeoJsonConverterFactory(new GeometryFactory(), false, GeoJsonConverterFactory.DefaultIdPropertyName, RingOrientationOption.DoNotModify) },
    };

    private readonly Utf8JsonWriter _writer;
    private readonly string _imageName;
    private readonly ObjectTableColumns _columns;
    private bool _completed;

    /// <summary>Starts the collection of <paramref name="imageName"/>'s objects on <paramref name="output"/>; the stream stays open.</summary>
    public GeoJsonObjectWriter(Stream output, string imageName, ObjectTableColumns columns)
    {
        _writer = new Utf8JsonWriter(output);
        _imageName = imageName;
        _columns = columns;
        _writer.WriteStartObject();
        _writer.WriteString("type", "FeatureCollection");
        _writer.WriteStartArray("features");
    }

    /// <summary>Writes one object as a detection with its outline, its class and its measurements as the object table names them.</summary>
    public void Write(ImageObject imageObject, string className, ObjectMeasurements measurements)
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The objects of {_imageName} are already complete; no more can be added.");
        }
        var cells = _columns.Cells(new ObjectRow(_imageName, imageObject.Id, imageObject.ClassIndex, className, measurements));
        _writer.WriteStartObject();
        _writer.WriteString("type", "Feature");
        _writer.WriteString("id", ObjectFeatureId.For(_imageName, imageObject.Id).ToString("D", CultureInfo.InvariantCulture));
        _writer.WritePropertyName("geometry");
        JsonSerializer.Serialize(_writer, ObjectOutline.Trace(imageObject), GeometryOptions);
        _writer.WriteStartObject("properties");
        _writer.WriteString("objectType", "detection");
        _writer.WriteString("name", imageObject.Id.ToString(CultureInfo.InvariantCulture));
        _writer.WriteStartObject("classification");
        _writer.WriteString("name", className);
        var (red, green, blue) = MaskWriter.ColorOf(imageObject.ClassIndex);
        _writer.WriteStartArray("color");
        _writer.WriteNumberValue(red);
        _writer.WriteNumberValue(green);
        _writer.WriteNumberValue(blue);
        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.WriteStartObject("measurements");
        for (var c = 0; c < cells.Length; c++)
        {
            // An absent micrometre value is left out: QuPath shows a missing measurement as empty.
            switch (cells[c])
            {
                case int number when _columns.Columns[c].IsMeasurement:
                    _writer.WriteNumber(_columns.Columns[c].Name, number);
                    break;
                case double number when _columns.Columns[c].IsMeasurement && double.IsFinite(number):
                    _writer.WriteNumber(_columns.Columns[c].Name, number);
                    break;
            }
        }
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        if (_writer.BytesPending > FlushBytes)
        {
            _writer.Flush();
        }
    }

    /// <summary>Ends the collection; without this the file is left incomplete, as a sign the image's objects are not all there.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }
        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        _completed = true;
    }

    /// <summary>Writes out what is held; the stream stays open.</summary>
    public void Dispose() => _writer.Dispose();
}
