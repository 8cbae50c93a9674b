using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Bands;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Telemetry;
using UNetPP.Cluster.Segmentation.Tiling;

namespace UNetPP.Cluster.Segmentation.Engine;

// The engine's part of the band path, kept with the rest of that path: it shares the engine's
// decoder, batching and blending, so a band's pixels get exactly the whole image's arithmetic.
public sealed partial class SegmentationEngine
{
    /// <summary>
    /// Segments one band of whole rows of an image read from a seekable stream, and writes it as a
    /// band part (<see cref="BandPartWriter"/>) to <paramref name="part"/> as its rows are finished.
    /// The band is worked through one tile row at a time: the input holds one tile's height of rows and
    /// the blend the few rows that tile rows still add to, so memory is that of a few tile rows
    /// whatever the image's size. Every pixel gets the value the whole image segmented at once gives it,
    /// because each strip of rows is blended from the same tiles in the same order.
    /// Throws <see cref="ImageRejectedException"/> as <see cref="SegmentAsync"/> does.
    /// </summary>
    /// <returns>The grid tiles inferred for the band, those it shares with its neighbours included.</returns>
    /// <param name="intensity">The whole image's per-image normalisation (<see cref="MeasureIntensity"/>); null measures it here.</param>
    public async Task<int> SegmentBandAsync(string name, Stream image, PixelRect band, GroundTruth? groundTruth, Stream part, CancellationToken cancellationToken, (float[] Offset, float[] Divisor)? intensity = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var device = Device.ToString();
        using var stages = new ImageStages(device);
        stages.Enter(PipelineStage.Decode);
        var scale = intensity ?? MeasureIntensity(name, image);
        using var source = _decoder.Open(name, image, _input.Choice);
        var (width, height) = (source.Width, source.Height);
        var grid = Grid(height, width);
        var rows = new BandRows(grid, band);

        var card = Model.Card;

        // Instance labels are told from a mask over the whole ground truth, so every band reads it alike.
        var instanceTruth = groundTruth is not null && GroundTruthRows.KindOf(_decoder, groundTruth, card.Classes).InstanceLabels;
        using var truth = groundTruth is null ? null : _decoder.Open(groundTruth.Name, new MemoryStream(groundTruth.Bytes, writable: false));
        using var truthIds = instanceTruth ? new GroundTruthRows(_decoder, groundTruth!) : null;
        if (truth is not null)
        {
            SegmentationQuality.CheckSize(name, width, height, groundTruth!.Name, truth.Width, truth.Height);
        }

        // The stitch scores objects against instance labels, and objects are split on the probabilities.
        var withProbability = PartsCarryProbability || instanceTruth;
        using var writer = new BandPartWriter(part, width, height, band, card.Classes, withProbability);
        var window = new ImageTensor(_input.Channels, rows.WindowHeight, width, new float[(long)_input.Channels * rows.WindowHeight * width]);
        var strips = new SortedDictionary<int, GaussianBlender>();
        var stripBuffers = new StripBuffers();
        var times = StageTimes.Zero;
        ClassTotals? totals = null;
        var quality = new List<IReadOnlyList<ClassQuality>>();
        var windowTop = -1;
        foreach (var tileRow in rows.TileRows)
        {
            var clock = Stopwatch.StartNew();
            stages.Enter(PipelineStage.Decode);
            windowTop = Slide(source, scale, window, windowTop, tileRow.Top);
            var decode = clock.Elapsed;

            stages.Enter(PipelineStage.Inference);
            foreach (var strip in rows.StripsTouching(tileRow))
            {
                if (!strips.ContainsKey(strip.Index))
                {
                    strips[strip.Index] = new GaussianBlender(grid, card.Classes, strip.Area, stripBuffers);
                }
            }

            var windowRect = new PixelRect(0, windowTop, width, window.Height);
            var (infer, blend) = await InferTilesAsync(window, windowRect, grid, tileRow.Tiles, (tile, probabilities) =>
            {
                foreach (var blender in strips.Values)
                {
                    blender.Add(tile, probabilities);
                }
            }, cancellationToken);

            var post = TimeSpan.Zero;
            if (strips.Remove(tileRow.Index, out var finished))
            {
                stages.Enter(PipelineStage.Blend);
                clock.Restart();
                var probabilities = finished.Finish();
                blend += clock.Elapsed;

                stages.Enter(PipelineStage.PostProcess);
                clock.Restart();
                var area = finished.Area;
                var mask = MaskBuilder.Build(probabilities, card.Classes, area.Height, area.Width, card.Threshold);
                var counted = ClassTotals.Count(mask, probabilities);
                totals = totals is null ? counted : totals.Plus(counted);
                if (truth is not null)
                {
                    var truthRows = new byte[area.Area];
                    if (truthIds is not null)
                    {
                        truthIds.ReadForeground(area.Y, area.Height, truthRows);
                    }
                    else
                    {
                        truth.ReadGrayRows(area.Y, area.Height, truthRows);
                    }

                    quality.Add(Quality(name, mask, probabilities, groundTruth!.Name, new Gray8Image(area.Width, area.Height, truthRows)));
                }

                var probability = withProbability ? MaskBuilder.ProbabilityMap16(probabilities, card.Classes, area.Height, area.Width) : [];
                writer.WriteRows(mask.Labels, probability);
                finished.GiveBack(stripBuffers);
                post = clock.Elapsed;
            }

            times = times.Add(new StageTimes(decode, infer, blend, post, TimeSpan.Zero));
        }

        writer.Finish(rows.Tiles, totals!, truth is null ? null : SegmentationQuality.Combine(quality), !_input.Normalization.PerImage && source.Faint);

        // A band is encoded with the others when its image is stitched, so it has no encode time of its own.
        Record(device, times, rows.Tiles);
        return rows.Tiles;
    }

    /// <summary>Whether band parts carry probabilities: for the probability map, and for objects, which are split and measured on them.</summary>
    private bool PartsCarryProbability => _options.Probabilities || _options.Objects is not null;

    /// <summary>
    /// The whole image's per-image normalisation, per channel, read in a pass of its own over every row
    /// of an image in a seekable stream; null when the normalisation is fixed. A band normalised by its
    /// own rows would not match its neighbours at the cut, so every band of an image is given this.
    /// Throws <see cref="ImageRejectedException"/> as <see cref="SegmentAsync"/> does.
    /// </summary>
    public (float[] Offset, float[] Divisor)? MeasureIntensity(string name, Stream image)
    {
        if (!_input.Normalization.PerImage)
        {
            return null;
        }

        using var whole = _decoder.Open(name, image, _input.Choice);
        var scale = _input.Normalization.For(whole.Measure(_input));
        image.Position = 0;
        return scale;
    }

    /// <summary>
    /// Moves the input window down to start at <paramref name="top"/>: rows it already holds are kept,
    /// the rest are decoded. Returns the window's new top.
    /// </summary>
    private int Slide(StreamedImage source, (float[] Offset, float[] Divisor)? scale, ImageTensor window, int windowTop, int top)
    {
        var height = window.Height;
        var plane = (long)height * window.Width;
        var kept = windowTop < 0 ? 0 : Math.Max(0, windowTop + height - top);
        if (kept > 0)
        {
            for (var c = 0; c < window.Channels; c++)
            {
                var channel = window.Data.AsSpan((int)(c * plane), (int)plane);
                channel.Slice((top - windowTop) * window.Width, kept * window.Width).CopyTo(channel);
            }
        }

        source.ReadTensorRows(_input, top + kept, height - kept, window, kept, scale);
        return top;
    }
}
