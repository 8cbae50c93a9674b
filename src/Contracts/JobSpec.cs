namespace UNetPP.Cluster.Contracts;

/// <summary>
/// What a user asks the cluster to do: segment every image under <see cref="Input"/> and write
/// the masks and the report under <see cref="Output"/>. Locations are local paths (visible to
/// every silo), <c>az://container/prefix</c> or blob URLs.
/// </summary>
[GenerateSerializer, Immutable, Alias("unetpp.JobSpec")]
public sealed record JobSpec
{
    [Id(0)] public required string Input { get; init; }

    [Id(1)] public required string Output { get; init; }

    /// <summary>A model file's location, or null for the built-in model.</summary>
    [Id(2)] public string? Model { get; init; }

    /// <summary>L4, L3, L2, L1 or accurate.</summary>
    [Id(3)] public string Mode { get; init; } = "L4";

    /// <summary>Tile edge in pixels; null takes the model card's hint.</summary>
    [Id(4)] public int? TileSize { get; init; }

    [Id(5)] public double Overlap { get; init; } = 0.25;

    /// <summary>Tiles per model run; null takes the silo's <c>Inference:BatchSize</c>.</summary>
    [Id(6)] public int? BatchSize { get; init; }

    /// <summary>Ground-truth masks with the same names, for IoU and Dice; null for none.</summary>
    [Id(7)] public string? Labels { get; init; }

    /// <summary>Images in one shard: the unit a worker leases, retries and reports.</summary>
    [Id(8)] public int ShardSize { get; init; } = 8;

    /// <summary>Tries per image before it is recorded as failed with its last reason.</summary>
    [Id(9)] public int MaxAttempts { get; init; } = 3;

    [Id(10)] public bool Probabilities { get; init; }

    [Id(11)] public bool Overlays { get; init; }

    [Id(12)] public long MaxPixels { get; init; } = 1_000_000_000;

    /// <summary>
    /// How long a worker holds a shard without renewing before it goes back in the queue. Short
    /// enough that a dead silo's work moves on soon, long enough that a live one renews in time.
    /// </summary>
    [Id(13)] public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Rows per band of a large image when a job does not say (<see cref="RegionSize"/>).</summary>
    public const int DefaultRegionSize = 4096;

    /// <summary>
    /// An image with more pixels than this takes the band path: it is cut into bands that several workers
    /// segment at once and one stitches; the masks are the same bytes as if one machine had done the whole image.
    /// </summary>
    [Id(14)] public long RegionPixels { get; init; } = 4096L * 4096;

    /// <summary>
    /// The height, in rows, of the bands of whole rows a large image is cut into (rounded to whole tile
    /// strides). Each band is streamed with the memory of a few tile rows whatever its size, so this
    /// sets how many workers can share an image: each cut costs one tile row inferred twice, and a
    /// PNG or JPEG band is decoded from the image's top.
    /// </summary>
    [Id(15)] public int RegionSize { get; init; } = DefaultRegionSize;

    /// <summary>
    /// Test-time augmentation: each tile is also run flipped horizontally, vertically and both ways, and
    /// the four predictions are averaged (about four times the inference).
    /// </summary>
    [Id(16)] public bool Tta { get; init; }

    /// <summary>
    /// Whether the job may write into an output that holds another job's results. Without it such a
    /// job is refused before anything starts, so one job can never silently mix its masks into
    /// another's; the same job id submitted again is the same job and needs no permission.
    /// </summary>
    [Id(17)] public bool Overwrite { get; init; }

    /// <summary>
    /// Continue into an output that holds an earlier job's results: an image whose outputs are there and
    /// were made from the same input bytes, model and options (its manifest says so) is skipped, every
    /// other image is segmented.
    /// </summary>
    [Id(18)] public bool Resume { get; init; }

    /// <summary>
    /// Segment again only the images the report of the output's earlier job lists as failed; the
    /// others are skipped when their outputs are current and left out otherwise.
    /// </summary>
    [Id(19)] public bool RetryFailed { get; init; }

    /// <summary>
    /// How intensities become model input, in place of the model card's: <c>fixed</c>, <c>percentile</c>,
    /// <c>percentile:low,high</c> or <c>zscore</c>; null keeps the card's.
    /// </summary>
    [Id(20)] public string? Normalize { get; init; }

    /// <summary>
    /// How masks and probability maps are stored: <c>png</c>, <c>tiff</c> or <c>ome-tiff</c> (tiled,
    /// pyramidal, with the input's pixel size); null is PNG.
    /// </summary>
    [Id(21)] public string? MaskFormat { get; init; }

    /// <summary>
    /// The image channels the model is given, in order, by 0-based number or OME channel name
    /// (<c>0</c>, <c>2,0,1</c>, <c>DAPI</c>); null takes an image's channels as it has them.
    /// </summary>
    [Id(22)] public string? Channels { get; init; }

    /// <summary>
    /// Which planes of a file with several become images: <c>all</c>, <c>first</c> or plane numbers and
    /// ranges (<c>0,2,5-7</c>); null is all.
    /// </summary>
    [Id(23)] public string? Pages { get; init; }

    /// <summary>Whether each image also gets an instance label image (<c>instances/</c>): touching nuclei apart, each object its own id.</summary>
    [Id(24)] public bool Instances { get; init; }

    /// <summary>Whether the job writes one row per object, with its measurements, to <c>objects.csv</c> and <c>objects.parquet</c>.</summary>
    [Id(25)] public bool Objects { get; init; }

    /// <summary>Whether each image's objects go to <c>geojson/</c> as a QuPath FeatureCollection.</summary>
    [Id(26)] public bool GeoJson { get; init; }

    /// <summary>Objects of fewer pixels are left out of labels, counts and measurements; null takes the model card's.</summary>
    [Id(27)] public int? MinObjectSize { get; init; }

    /// <summary>
    /// How soon workers take this job's shards beside other jobs' (<see cref="JobPriority"/>): higher first,
    /// a waiting job rising a step at a time. It orders the work only; the outputs do not depend on it.
    /// </summary>
    [Id(28)] public int Priority { get; init; } = JobPriority.Normal;

    /// <summary>Whether images are separated into objects: for labels, the object table or GeoJSON.</summary>
    public bool FindsObjects => Instances || Objects || GeoJson;

    /// <summary>Whether the job continues an earlier job's output rather than starting one afresh.</summary>
    public bool Continues => Resume || RetryFailed;

    /// <summary>Checks what can be checked without touching storage; the message names the setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Input), "input: give a folder, file or blob location of images.");
        Require(!string.IsNullOrWhiteSpace(Output), "--out: give a folder or blob location for the masks.");
        Require(Modes.Contains(Mode, StringComparer.OrdinalIgnoreCase), $"--mode {Mode}: use one of {string.Join(", ", Modes)}.");
        Require(TileSize is null || (TileSize >= 16 && TileSize % 16 == 0), $"--tile {TileSize}: the tile size must be a multiple of 16 and at least 16.");
        Require(Overlap is >= 0 and < 1, $"--overlap {Overlap}: the overlap is a fraction of a tile, at least 0 and less than 1.");
        Require(BatchSize is null or >= 1, $"--batch {BatchSize}: the batch size must be at least 1.");
        Require(ShardSize >= 1, $"--shard-size {ShardSize}: a shard holds at least one image.");
        Require(MaxAttempts >= 1, $"--max-attempts {MaxAttempts}: an image is tried at least once.");
        Require(MaxPixels >= 1, $"--max-pixels {MaxPixels}: the pixel limit must be positive.");
        Require(RegionPixels >= 1, $"--region-pixels {RegionPixels}: the size above which images are cut into bands must be positive.");
        Require(RegionSize >= 16, $"--region-size {RegionSize}: a band of a large image is at least 16 rows high.");
        Require(!(Overwrite && Continues), $"{(Resume ? "--resume" : "--retry-failed")} and --overwrite: the one keeps the results there, the other replaces them; give one.");
        Require(MinObjectSize is null or >= 0, $"--min-object-size {MinObjectSize}: a size in pixels, 0 or more.");
        Require(MinObjectSize is null || FindsObjects, "--min-object-size: it applies to objects; give --instances, --objects or --geojson with it.");
        Require(JobPriority.IsAllowed(Priority), $"--priority {Priority}: {JobPriority.Allowed}.");
        Require(LeaseDuration >= TimeSpan.FromSeconds(1), $"lease duration {LeaseDuration}: at least one second.");
    }

    private static readonly string[] Modes = ["L1", "L2", "L3", "L4", "accurate"];

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
