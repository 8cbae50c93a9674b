namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// Scores a predicted label image against a ground-truth one (0 background, any positive id an object)
/// fed a row at a time, so an image stitched from bands, never whole in memory, scores as it streams past.
/// Only the objects' areas and their overlaps are kept. Above IoU 0.5 an object can overlap only one
/// other that much, so matches are read straight off the overlap table, with no assignment problem to solve.
/// </summary>
public sealed class InstanceScorer
{
    /// <summary>The Data Science Bowl 2018 thresholds: 0.5, 0.55 … 0.95.</summary>
    private static readonly double[] Thresholds = [.. Enumerable.Range(0, 10).Select(k => 0.5 + (0.05 * k))];

    private readonly Dictionary<int, int> _predictedAreas = [];
    private readonly Dictionary<int, int> _truthAreas = [];
    private readonly Dictionary<(int Predicted, int Truth), int> _overlaps = [];

    /// <summary>Adds one row of each image (any run of pixels will do, in any order), the two of the same length.</summary>
    public void AddRow(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(predicted.Length, truth.Length, nameof(predicted));

        // Objects lie in runs along a row: count a run at once rather than look up every pixel.
        var start = 0;
        for (var i = 1; i <= predicted.Length; i++)
        {
            if (i < predicted.Length && predicted[i] == predicted[start] && truth[i] == truth[start])
            {
                continue;
            }

            Add(predicted[start], truth[start], i - start);
            start = i;
        }
    }

    /// <summary>The scores of the rows added so far, as one image.</summary>
    public InstanceScores Score()
    {
        var ious = new List<double>();
        var truthCovered = new Dictionary<int, int>();
        var predictedCovered = new Dictionary<int, int>();
        foreach (var ((p, t), shared) in _overlaps)
        {
            var (predictedArea, truthArea) = (_predictedAreas[p], _truthAreas[t]);
            ious.Add((double)shared / (predictedArea + truthArea - shared));
            if (2 * shared > truthArea)
            {
                truthCovered[p] = truthCovered.GetValueOrDefault(p) + 1;
            }

            if (2 * shared > predictedArea)
            {
                predictedCovered[t] = predictedCovered.GetValueOrDefault(t) + 1;
            }
        }

        var (nPredicted, nTruth) = (_predictedAreas.Count, _truthAreas.Count);
        var dsb = Thresholds.Average(threshold =>
        {
            var tp = ious.Count(iou => iou > threshold);
            var all = nPredicted + nTruth - tp;
            return all == 0 ? 1 : (double)tp / all;
        });
        var matched = ious.Where(iou => iou > 0.5).ToList();
        return new InstanceScores(
            nTruth, nPredicted, matched.Count, matched.Sum(), dsb, Images: 1,
            Merges: truthCovered.Values.Count(n => n >= 2),
            Splits: predictedCovered.Values.Count(n => n >= 2));
    }

    private void Add(int p, int t, int pixels)
    {
        if (p > 0)
        {
            _predictedAreas[p] = _predictedAreas.GetValueOrDefault(p) + pixels;
        }

        if (t > 0)
        {
            _truthAreas[t] = _truthAreas.GetValueOrDefault(t) + pixels;
        }

        if (p > 0 && t > 0)
        {
            _overlaps[(p, t)] = _overlaps.GetValueOrDefault((p, t)) + pixels;
        }
    }
}
