namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// Scores a predicted label image against a ground-truth one (0 background, any positive id an object).
/// Above IoU 0.5 an object can overlap only one other that much, so matches are read straight off the
/// overlap table, with no assignment problem to solve.
/// </summary>
public static class InstanceMatching
{
    /// <summary>The Data Science Bowl 2018 thresholds: 0.5, 0.55 … 0.95.</summary>
    private static readonly double[] Thresholds = [.. Enumerable.Range(0, 10).Select(k => 0.5 + (0.05 * k))];

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="truth"/>, two label images of the same size.</summary>
    public static InstanceScores Score(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(predicted.Length, truth.Length, nameof(predicted));
        var predictedAreas = new Dictionary<int, int>();
        var truthAreas = new Dictionary<int, int>();
        var overlaps = new Dictionary<(int Predicted, int Truth), int>();
        for (var i = 0; i < predicted.Length; i++)
        {
            var (p, t) = (predicted[i], truth[i]);
            if (p > 0)
            {
                predictedAreas[p] = predictedAreas.GetValueOrDefault(p) + 1;
            }

            if (t > 0)
            {
                truthAreas[t] = truthAreas.GetValueOrDefault(t) + 1;
            }

            if (p > 0 && t > 0)
            {
                overlaps[(p, t)] = overlaps.GetValueOrDefault((p, t)) + 1;
            }
        }

        var ious = new List<double>();
        var truthCovered = new Dictionary<int, int>();
        var predictedCovered = new Dictionary<int, int>();
        foreach (var ((p, t), shared) in overlaps)
        {
            var (predictedArea, truthArea) = (predictedAreas[p], truthAreas[t]);
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

        var (nPredicted, nTruth) = (predictedAreas.Count, truthAreas.Count);
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
}
