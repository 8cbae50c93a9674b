using System.Text;
using Parquet;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Objects;

namespace UNetPP.Cluster.Segmentation.Tests.Objects;

public sealed class ObjectTableTests : IDisposable
{
    private static readonly PhysicalPixelSize HalfMicrometre = new(0.5, 0.5);

    private readonly string _folder = Directory.CreateTempSubdirectory("object-table-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ColumnsNameTheirUnitsAndTheCallersChannels()
    {
        var columns = new ObjectTableColumns(["DAPI", "1"]);

        Assert.Equal(
            [
                "image_name", "object_id", "class_index", "class_name", "area_px", "area_um2",
                "centroid_x_px", "centroid_y_px", "centroid_x_um", "centroid_y_um",
                "bbox_x", "bbox_y", "bbox_width", "bbox_height",
                "equivalent_diameter_px", "equivalent_diameter_um", "perimeter_px", "perimeter_um",
                "eccentricity", "solidity", "mean_probability",
                "mean_intensity_DAPI", "max_intensity_DAPI", "mean_intensity_1", "max_intensity_1",
            ],
            columns.Names);
        var error = Assert.Throws<ArgumentException>(() => new ObjectTableColumns(["0", "0"]));
        Assert.Contains("must differ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvQuotesNamesAndLeavesAbsentMicrometresEmpty()
    {
        var columns = new ObjectTableColumns(["0"]);
        using var output = new MemoryStream();
        using (var writer = new ObjectCsvWriter(output, columns))
        {
            writer.Write(TestObjects.Row("plate 1, \"A\".tif", 1, null, 1));
            writer.Write(TestObjects.Row("b.tif", 2, HalfMicrometre, 1));
        }

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split("\r\n");

        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        Assert.Equal(string.Join(',', columns.Names), lines[0]);
        Assert.StartsWith("\"plate 1, \"\"A\"\".tif\",1,2,Mitotic,5,,", lines[1], StringComparison.Ordinal);
        var second = lines[2].Split(',');
        Assert.Equal("b.tif", second[0]);
        Assert.Equal("1.25", second[5]);
        // Image (2, 4) + local centroid (0.8, 0.4) + 0.5: a decimal point in every culture.
        Assert.Equal("3.3", second[6]);
        Assert.Equal(columns.Names.Count, second.Length);
    }

    [Fact]
    public void ARowMeasuredOnOtherChannelsIsRejectedInWords()
    {
        using var writer = new ObjectCsvWriter(new MemoryStream(), new ObjectTableColumns(["DAPI"]));

        var error = Assert.Throws<ArgumentException>(() => writer.Write(TestObjects.Row("a.tif", 1, null, 2)));

        Assert.Contains("was measured on 2 channel(s), but the object table has columns for 1 (DAPI)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParquetLeavesItsStreamOpen()
    {
        using var output = new MemoryStream();
        await using (var writer = await ObjectParquetWriter.CreateAsync(output, new ObjectTableColumns([])))
        {
            await writer.WriteAsync(TestObjects.Row("a.tif", 1, null, 0));
        }

        Assert.True(output.CanWrite);
        Assert.Equal("PAR1"u8.ToArray(), output.ToArray()[^4..]);
    }

    [Fact]
    public async Task ParquetReadsBackTheSameValues()
    {
        var columns = new ObjectTableColumns(["0", "1"]);
        var rows = new[] { TestObjects.Row("a, \"b\"", 1, null, 2), TestObjects.Row("a, \"b\"", 2, HalfMicrometre, 2) };
        var path = Path.Combine(_folder, "a.parquet");
        await WriteParquetAsync(path, columns, rows, ObjectParquetWriter.DefaultRowGroupSize);

        var table = await ReadParquetAsync(path);

        Assert.Equal(1, table.RowGroups);
        Assert.Equal(columns.Names, table.Columns.Keys);
        Assert.Equal(["a, \"b\"", "a, \"b\""], table.Columns["image_name"]);
        Assert.Equal([1, 2], table.Columns["object_id"]);
        Assert.Equal(["Mitotic", "Nucleus"], table.Columns["class_name"]);
        Assert.Equal([5, 5], table.Columns["area_px"]);
        Assert.Equal([null, 1.25], table.Columns["area_um2"]);
        Assert.Equal([rows[0].Measurements.Perimeter, rows[1].Measurements.Perimeter], table.Columns["perimeter_px"]);
        Assert.Equal([rows[0].Measurements.MeanIntensity[1], rows[1].Measurements.MeanIntensity[1]], table.Columns["mean_intensity_1"]);
    }

    [Fact]
    public async Task ParquetWritesARowGroupEachTimeOneIsFull()
    {
        var columns = new ObjectTableColumns([]);
        var path = Path.Combine(_folder, "groups.parquet");
        await WriteParquetAsync(path, columns, [.. Enumerable.Range(1, 7).Select(id => TestObjects.Row("x", id, null, 0))], rowGroupSize: 3);

        var table = await ReadParquetAsync(path);

        Assert.Equal(3, table.RowGroups);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], table.Columns["object_id"]);
    }

    [Fact]
    public async Task MergeJoinsPartsInOrderAndSkipsEmptyImages()
    {
        var columns = new ObjectTableColumns(["DAPI"]);
        var first = Path.Combine(_folder, "first.parquet");
        var empty = Path.Combine(_folder, "empty.parquet");
        var last = Path.Combine(_folder, "last.parquet");
        await WriteParquetAsync(first, columns, [.. Enumerable.Range(1, 5).Select(id => TestObjects.Row("first", id, HalfMicrometre, 1))], rowGroupSize: 2);
        await WriteParquetAsync(empty, columns, [], ObjectParquetWriter.DefaultRowGroupSize);
        await WriteParquetAsync(last, columns, [TestObjects.Row("last, too", 9, null, 1)], ObjectParquetWriter.DefaultRowGroupSize);
        var emptyTable = await ReadParquetAsync(empty);
        Assert.Equal(0, emptyTable.RowGroups);
        Assert.Equal(columns.Names, emptyTable.Columns.Keys);

        var csvPath = Path.Combine(_folder, "objects.csv");
        var parquetPath = Path.Combine(_folder, "objects.parquet");
        await using (var csv = File.Create(csvPath))
        await using (var parquet = File.Create(parquetPath))
        {
            await ObjectTableMerge.MergeAsync([first, empty, last], OpenAsync, csv, parquet);
        }

        var merged = await ReadParquetAsync(parquetPath);
        Assert.Equal(["first", "first", "first", "first", "first", "last, too"], merged.Columns["image_name"]);
        Assert.Equal([1, 2, 3, 4, 5, 9], merged.Columns["object_id"]);
        Assert.Equal([1.25, 1.25, 1.25, 1.25, 1.25, null], merged.Columns["area_um2"]);
        var lines = await File.ReadAllLinesAsync(csvPath);
        Assert.Equal(7, lines.Length);
        Assert.StartsWith("\"last, too\",9,2,Mitotic,5,,", lines[6], StringComparison.Ordinal);

        await using (var csv = File.Create(csvPath))
        await using (var parquet = File.Create(parquetPath))
        {
            await ObjectTableMerge.MergeAsync([empty], OpenAsync, csv, parquet);
        }
        Assert.Equal([string.Join(',', columns.Names)], await File.ReadAllLinesAsync(csvPath));
        Assert.Empty((await ReadParquetAsync(parquetPath)).Columns["object_id"]);
    }

    [Fact]
    public async Task MergeOfImagesWithOtherChannelsHasEveryChannelEmptyWhereAnImageLacksIt()
    {
        var gray = Path.Combine(_folder, "gray.parquet");
        var two = Path.Combine(_folder, "two.parquet");
        await WriteParquetAsync(gray, new ObjectTableColumns(["0"]), [TestObjects.Row("gray", 1, null, 1)], ObjectParquetWriter.DefaultRowGroupSize);
        await WriteParquetAsync(two, new ObjectTableColumns(["DAPI", "GFP"]), [TestObjects.Row("two", 1, null, 2)], ObjectParquetWriter.DefaultRowGroupSize);

        var parquetPath = Path.Combine(_folder, "objects.parquet");
        using var csv = new MemoryStream();
        await using (var parquet = File.Create(parquetPath))
        {
            await ObjectTableMerge.MergeAsync([gray, two], OpenAsync, csv, parquet);
        }

        var merged = await ReadParquetAsync(parquetPath);
        Assert.Equal(["mean_intensity_0", "max_intensity_0", "mean_intensity_DAPI", "max_intensity_DAPI", "mean_intensity_GFP", "max_intensity_GFP"],
            merged.Columns.Keys.Where(k => k.Contains("intensity", StringComparison.Ordinal)));
        Assert.NotNull(merged.Columns["mean_intensity_0"][0]);
        Assert.Null(merged.Columns["mean_intensity_0"][1]);
        Assert.Null(merged.Columns["mean_intensity_GFP"][0]);
        Assert.NotNull(merged.Columns["mean_intensity_GFP"][1]);
    }

    [Fact]
    public async Task MergeRejectsAPartThatIsNotAnObjectTable()
    {
        var part = Path.Combine(_folder, "other.parquet");
        await using (var file = File.Create(part))
        {
            var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<int>("something_else"));
            await using var writer = await ParquetWriter.CreateAsync(schema, file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>(schema.DataFields[0], (int[])[1]);
        }

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await ObjectTableMerge.MergeAsync([part], OpenAsync, new MemoryStream(), new MemoryStream()));

        Assert.Contains("has other columns", error.Message, StringComparison.Ordinal);
    }

    private static Task<Stream> OpenAsync(string path, CancellationToken cancellationToken) => Task.FromResult<Stream>(File.OpenRead(path));

    private static async Task WriteParquetAsync(string path, ObjectTableColumns columns, ObjectRow[] rows, int rowGroupSize)
    {
        await using var file = File.Create(path);
        await using var writer = await ObjectParquetWriter.CreateAsync(file, columns, rowGroupSize);
        foreach (var row in rows)
        {
            await writer.WriteAsync(row);
        }
    }

    /// <summary>Every column of a Parquet file, read with Parquet.Net's own reader, by column name.</summary>
    private static async Task<(int RowGroups, Dictionary<string, List<object?>> Columns)> ReadParquetAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var columns = reader.Schema.DataFields.ToDictionary(field => field.Name, _ => new List<object?>());
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            var rowGroup = reader.OpenRowGroupReader(group);
            var rows = (int)rowGroup.RowCount;
            foreach (var field in reader.Schema.DataFields)
            {
                if (field.ClrType == typeof(int))
                {
                    var numbers = new int[rows];
                    await rowGroup.ReadAsync<int>(field, numbers.AsMemory());
                    columns[field.Name].AddRange(numbers.Cast<object?>());
                }
                else if (field.ClrType == typeof(double) && field.IsNullable)
                {
                    var numbers = new double?[rows];
                    await rowGroup.ReadAsync<double>(field, numbers.AsMemory());
                    columns[field.Name].AddRange(numbers.Cast<object?>());
                }
                else if (field.ClrType == typeof(double))
                {
                    var numbers = new double[rows];
                    await rowGroup.ReadAsync<double>(field, numbers.AsMemory());
                    columns[field.Name].AddRange(numbers.Cast<object?>());
                }
                else
                {
                    var text = new string?[rows];
                    await rowGroup.ReadAsync(field, text.AsMemory());
                    columns[field.Name].AddRange(text);
                }
            }
        }
        return (reader.RowGroupCount, columns);
    }
}
