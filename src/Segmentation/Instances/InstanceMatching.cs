namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>Scores a predicted label image against a ground-truth one held whole in memory.</summary>
public static class InstanceMatching
{
    /// <summary>
    /// Scores <paramref name="predicted"/> against <paramref name="truth"/>, two label images of the same size
    /// (0 background, any positive id an object), as <see cref="InstanceScorer"/> does row by row.
    /// </summary>
    public static InstanceScores Score(ReadOnlySpan<int> predicted, ReadOnlySpan<int> truth)
    {
        var scorer = new InstanceScorer();
        scorer.AddRow(predicted, truth);
        return scorer.Score();
    }
}
