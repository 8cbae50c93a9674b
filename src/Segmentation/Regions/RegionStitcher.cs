using System.Diagnostics;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Segmentation.Regions;

/// <summary>
/// Puts a large image's regions back together: one mask, one probability map, statistics over the
/// whole image (objects that cross a cut are counted once) and scores from the added-up counts. The
/// files are byte for byte those of a one-machine run, because each region's pixels are.
/// </summary>
public sealed class RegionStitcher(MaskWriter overlays)
{
    /// <param name="name">The image's name, for the result and errors.</param>
    /// <param name="parts">Every region of the image, each once, in any order.</param>
    /// <param name="original">The image for the overlay preview, or null for no overlay.</param>
    /// <exception cref="InvalidDataException">The parts are not one image's regions, each exactly once.</exception>
    public SegmentedImage Stitch(string name, IReadOnlyList<RegionPart> parts, Rgb8Image? original)
    {
        var clock = Stopwatch.StartNew();
        var first = CheckParts(name, parts);
        var (width, height, classes) = (first.ImageWidth, first.ImageHeight, first.Classes);
        var labels = new byte[(long)width * height];
        var withProbability = parts.All(p => p.Probability is not null);
        var probability = withProbability ? new ushort[labels.LongLength] : null;
        foreach (var part in parts)
        {
            var region = part.Region;
            for (var r = 0; r < region.Height; r++)
            {
                var target = ((long)(region.Y + r) * width) + region.X;
                part.Labels.AsSpan(r * region.Width, region.Width).CopyTo(labels.AsSpan((int)target, region.Width));
                part.Probability?.AsSpan(r * region.Width, region.Width).CopyTo(probability.AsSpan((int)target, region.Width));
            }
        }

        var mask = new SegmentationMask(width, height, classes, labels);
        var totals = parts.Skip(1).Aggregate(first.Totals, (sum, part) => sum.Plus(part.Totals));
        var summary = MaskStatistics.Summarise(mask, totals);
        var quality = parts.All(p => p.Quality is not null) ? SegmentationQuality.Combine(parts.Select(p => p.Quality!)) : null;
        var post = clock.Elapsed;

        clock.Restart();
        var maskPng = MaskWriter.EncodeMaskPng(mask);
        var probabilityPng = probability is null ? null : MaskWriter.EncodeProbabilityPng(probability, width, height);
        var overlayPng = original is null ? null : overlays.EncodeOverlayPng(original, mask);
        var times = new StageTimes(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, post, clock.Elapsed);
        return new SegmentedImage(name, width, height, parts.Sum(p => p.Tiles), summary, quality, maskPng, probabilityPng, overlayPng, times);
    }

    private static RegionPart CheckParts(string name, IReadOnlyList<RegionPart> parts)
    {
        if (parts.Count == 0)
        {
            throw new InvalidDataException($"{name}: no regions to stitch.");
        }

        var first = parts[0];
        if (parts.Any(p => p.ImageWidth != first.ImageWidth || p.ImageHeight != first.ImageHeight || p.Classes != first.Classes))
        {
            throw new InvalidDataException($"{name}: the regions disagree on the image's size or class count.");
        }

        if (parts.Any(p => p.Totals.Pixels.Length != first.Totals.Pixels.Length))
        {
            throw new InvalidDataException($"{name}: the regions disagree on the number of classes counted.");
        }

        // Disjoint regions whose areas add up to the image's cover it exactly.
        var covered = parts.Sum(p => p.Region.Area);
        var overlapping = parts.SelectMany((p, i) => parts.Skip(i + 1).Where(q => q.Region.Intersects(p.Region)).Select(q => (p.Region, q.Region))).FirstOrDefault();
        if (overlapping != default)
        {
            throw new InvalidDataException($"{name}: regions {overlapping.Item1} and {overlapping.Item2} overlap.");
        }

        if (covered != (long)first.ImageWidth * first.ImageHeight)
        {
            throw new InvalidDataException(FormattableString.Invariant(
                $"{name}: the regions cover {covered} of the image's {(long)first.ImageWidth * first.ImageHeight} pixels."));
        }

        return first;
    }
}
