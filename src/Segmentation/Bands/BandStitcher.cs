using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Bands;

/// <summary>Where a stitched image's files go; a null stream skips that file.</summary>
/// <param name="Mask">The 8-bit mask.</param>
/// <param name="Probability">The 16-bit probability map, when the parts carry probabilities.</param>
/// <param name="Overlay">The overlay preview PNG, when the original image is given.</param>
public sealed record StitchOutputs(Stream Mask, Stream? Probability = null, Stream? Overlay = null)
{
    /// <summary>How the mask and probability map are stored; the overlay is always PNG.</summary>
    public MaskFormat Format { get; init; } = MaskFormat.Png;

    /// <summary>The input's pixel size, for a format that records it; null when the input has none.</summary>
    public PhysicalPixelSize? PixelSize { get; init; }

    /// <summary>The channels the overlay shows: those the model was given (<c>--channels</c>); null for the image's own.</summary>
    public ChannelChoice? OverlayChannels { get; init; }

    /// <summary>Where the image's object files go, when the job asks for objects; null for none.</summary>
    public ObjectStreams? Objects { get; init; }

    /// <summary>How objects are told apart; used with <see cref="Objects"/>.</summary>
    public InstanceSettings? ObjectSettings { get; init; }

    /// <summary>The image itself (seekable), read alongside for the objects' intensities; null measures none.</summary>
    public Stream? ObjectSamples { get; init; }

    /// <summary>Instance labels the objects are scored against, read alongside; null for none.</summary>
    public GroundTruth? ObjectTruth { get; init; }
}

/// <summary>A stitched image: what its mask holds and how it scores; its files went to <see cref="StitchOutputs"/>.</summary>
public sealed record StitchedImage(string Name, int Width, int Height, int Tiles, ImageMaskSummary Summary, IReadOnlyList<ClassQuality>? Quality, StageTimes Times)
{
    /// <summary>As <see cref="SegmentedImage.Warning"/>: the image is faint only if every band is.</summary>
    public string? Warning { get; init; }

    /// <summary>The objects found, when <see cref="StitchOutputs.Objects"/> asked for them; the summary then counts them.</summary>
    public InstanceResult? Objects { get; init; }
}

/// <summary>
/// Puts a large image's bands back together as one stream: each part is read row by row, in order,
/// and every row goes at once to the mask, probability map and overlay and to the object count
/// (objects that cross a cut are counted once). Memory is a few rows, whatever the image's size
/// (a TIFF's rows wait on local disk, not in memory: <see cref="TiffRowWriter"/>).
/// The files are byte for byte those of a one-machine run, because each band's pixels are and the
/// files are written the same way.
/// </summary>
public sealed class BandStitcher(MaskWriter overlays, ImageDecoder decoder)
{
    /// <param name="name">The image's name, for the result and errors.</param>
    /// <param name="parts">How many bands the image was cut into.</param>
    /// <param name="openPart">Opens band i's part (seekable), from the top band down; the stitcher disposes it.</param>
    /// <param name="original">The image itself (seekable) for the overlay, or null for no overlay.</param>
    /// <param name="outputs">Where the files go.</param>
    /// <param name="cancellationToken">Stops between parts.</param>
    /// <exception cref="InvalidDataException">The parts are not the image's bands, each once and in order, or one is damaged.</exception>
    public async Task<StitchedImage> StitchAsync(
        string name, int parts, Func<int, CancellationToken, Task<Stream>> openPart, Stream? original, StitchOutputs outputs, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        var clock = Stopwatch.StartNew();
        Image? image = null;
        try
        {
            for (var index = 0; index < parts; index++)
            {
                var part = Open(name, index, await openPart(index, cancellationToken));
                using (part)
                {
                    image ??= new Image(name, part, original is null ? null : decoder.Open(name, original, outputs.OverlayChannels), outputs, overlays, decoder);
                    image.Add(index, part);
                }
            }

            return image!.Finish(clock.Elapsed);
        }
        finally
        {
            image?.Dispose();
        }
    }

    private static BandPartReader Open(string name, int index, Stream stream)
    {
        try
        {
            return new BandPartReader(stream);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{name}: band {index + 1}: {ex.Message}", ex);
        }
    }

    /// <summary>One image being stitched: its writers, its object count and the rows written so far.</summary>
    private sealed class Image : IDisposable
    {
        private readonly string _name;
        private readonly int _width;
        private readonly int _height;
        private readonly int _classes;
        private readonly StreamedImage? _original;
        private readonly MaskWriter _overlays;
        private readonly IRowWriter _mask;
        private readonly IRowWriter? _probability;
        private readonly PngStreamWriter? _overlay;
        // Objects are counted as connected regions of the mask, or, when the job asks for objects, as those the instance pass finds.
        private readonly ConnectedComponents? _components;
        private readonly InstancePass? _instances;
        private readonly List<IReadOnlyList<ClassQuality>?> _quality = [];
        private readonly ushort[] _probabilityRow;
        private readonly byte[] _rgb;

        // The overlay is drawn one row behind: a row's outline needs the row below it.
        private byte[] _above;
        private byte[] _current;
        private byte[] _below;
        private ClassTotals? _totals;
        private int _rows;
        private int _tiles;
        private bool _faint = true;

        public Image(string name, BandPartReader first, StreamedImage? original, StitchOutputs outputs, MaskWriter overlays, ImageDecoder decoder)
        {
            (_name, _width, _height, _classes) = (name, first.ImageWidth, first.ImageHeight, first.Classes);
            if (original is not null && (original.Width != _width || original.Height != _height))
            {
                original.Dispose();
                throw new InvalidDataException($"{name}: the image is {original.Width}×{original.Height} but its bands are of a {_width}×{_height} image.");
            }

            _original = original;
            _overlays = overlays;
            var masks = new MaskEncoder(outputs.Format);
            _mask = masks.MaskRows(outputs.Mask, _width, _height, outputs.PixelSize);
            _probability = outputs.Probability is null ? null : masks.ProbabilityRows(outputs.Probability, _width, _height, outputs.PixelSize);
            _overlay = original is null || outputs.Overlay is null ? null : MaskWriter.OverlayPng(outputs.Overlay, _width, _height);
            if (outputs.Objects is not { } objectFiles)
            {
                _components = new ConnectedComponents(_width);
            }
            else
            {
                var samples = outputs.ObjectSamples is null ? null : decoder.Open(name, outputs.ObjectSamples);
                _instances = new InstancePass(
                    name, _width, _height, _classes, outputs.ObjectSettings ?? throw new ArgumentException("Objects need their settings.", nameof(outputs)),
                    outputs.Format, outputs.PixelSize, samples, objectFiles, outputs.ObjectTruth is null ? null : new GroundTruthRows(decoder, outputs.ObjectTruth));
            }
            _probabilityRow = new ushort[_width];
            _rgb = new byte[_width * 3];
            (_above, _current, _below) = (new byte[_width], new byte[_width], new byte[_width]);
        }

        public void Add(int index, BandPartReader part)
        {
            var band = part.Band;
            if (part.ImageWidth != _width || part.ImageHeight != _height || part.Classes != _classes)
            {
                throw new InvalidDataException($"{_name}: band {index + 1} is of a {part.ImageWidth}×{part.ImageHeight} image with {part.Classes} classes, the first of a {_width}×{_height} one with {_classes}.");
            }

            if (band.X != 0 || band.Width != _width || band.Y != _rows)
            {
                throw new InvalidDataException(FormattableString.Invariant(
                    $"{_name}: band {index + 1} is {band}, but the next band of the image starts at row {_rows} and is {_width} wide."));
            }

            if ((_probability is not null || _instances is not null) && !part.WithProbability)
            {
                // The probability map, and objects, which are split and measured on the probabilities.
                throw new InvalidDataException($"{_name}: band {index + 1} has no probabilities.");
            }

            for (var r = 0; r < band.Height; r++)
            {
                part.ReadRow(_below, part.WithProbability ? _probabilityRow : default);
                _mask.WriteRow(_below);
                _probability?.WriteRow(_probabilityRow);
                _components?.AddRow(_below);
                _instances?.AddRow(_below, _probabilityRow);
                if (_rows > 0)
                {
                    DrawOverlay(_rows - 1, below: _below);
                }

                (_above, _current, _below) = (_current, _below, _above);
                _rows++;
            }

            var summary = part.ReadSummary();
            _tiles += summary.Tiles;
            _totals = _totals is null ? summary.Totals : _totals.Plus(summary.Totals);
            _quality.Add(summary.Quality);
            _faint &= summary.Faint;
        }

        public StitchedImage Finish(TimeSpan elapsed)
        {
            if (_rows != _height)
            {
                throw new InvalidDataException(FormattableString.Invariant($"{_name}: the bands cover {_rows} of the image's {_height} rows."));
            }

            DrawOverlay(_rows - 1, below: default);
            _mask.Finish();
            _probability?.Finish();
            _overlay?.Finish();
            var found = _instances?.Finish();
            var summary = MaskStatistics.Summarise(_width, _height, _classes, found?.AreasByLabel ?? _components!.AreasByLabel(), _totals!);
            var quality = _quality.All(q => q is not null) ? SegmentationQuality.Combine(_quality!) : null;
            var times = new StageTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, elapsed);
            return new StitchedImage(_name, _width, _height, _tiles, summary, quality, times)
            {
                Warning = _faint ? SegmentationEngine.FaintWarning : null,
                Objects = found,
            };
        }

        public void Dispose()
        {
            _mask.Dispose();
            _probability?.Dispose();
            _overlay?.Dispose();
            _original?.Dispose();
            _instances?.Dispose();
        }

        /// <summary>Draws overlay row <paramref name="y"/> (held in <see cref="_current"/>, the row above in <see cref="_above"/>).</summary>
        private void DrawOverlay(int y, ReadOnlySpan<byte> below)
        {
            if (_overlay is null)
            {
                return;
            }

            _original!.ReadRgbRows(y, 1, _rgb);
            _overlays.DrawOverlayRow(_rgb, y == 0 ? default : _above, _current, below, _classes);
            _overlay.WriteRow(_rgb);
        }
    }
}
