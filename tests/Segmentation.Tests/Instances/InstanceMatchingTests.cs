using UNetPP.Cluster.Segmentation.Instances;

namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>Instance scores on label images small enough to score by hand.</summary>
public sealed class InstanceMatchingTests
{
    [Fact]
    public void IdenticalObjectsUnderOtherIdsScorePerfectly()
    {
        var truth = LabelArt.Parse("11..22", "11..22");
        var predicted = LabelArt.Parse("55..33", "55..33");

        var scores = InstanceMatching.Score(predicted, truth);

        Assert.Equal((2, 2, 2, 0, 0), (scores.TruthObjects, scores.PredictedObjects, scores.Matched, scores.Merges, scores.Splits));
        Assert.Equal(1, scores.F1);
        Assert.Equal(1, scores.Dsb);
        Assert.Equal(1, scores.MeanMatchedIoU);
    }

    [Fact]
    public void OneObjectOverTwoTouchingNucleiIsAMergeAndNoMatch()
    {
        var truth = LabelArt.Parse("1122", "1122");
        var predicted = LabelArt.Parse("7777", "7777");

        var scores = InstanceMatching.Score(predicted, truth);

        // Each nucleus has IoU 4/8 = 0.5 with the merged object: not above 0.5.
        Assert.Equal((0, 1, 2, 1, 0), (scores.Matched, scores.Unmatched, scores.Missed, scores.Merges, scores.Splits));
        Assert.Equal(0, scores.F1);
        Assert.Equal(0, scores.Dsb);
    }

    [Fact]
    public void TwoObjectsInOneNucleusAreASplit()
    {
        var truth = LabelArt.Parse("1111", "1111");
        var predicted = LabelArt.Parse("2233", "2233");

        var scores = InstanceMatching.Score(predicted, truth);

        Assert.Equal((0, 0, 1), (scores.Matched, scores.Merges, scores.Splits));
    }

    [Fact]
    public void APartialMatchCountsOnlyAtTheThresholdsItsIoUPasses()
    {
        // The nucleus has 10 pixels; the prediction 7 of them and 1 more: IoU 7/11 ≈ 0.636, above 0.5, 0.55 and 0.6.
        // A second predicted object lies on background.
        var truth = LabelArt.Parse("11111.", "11111.", "......");
        var predicted = LabelArt.Parse("22222.", "22...2", "....33");

        var scores = InstanceMatching.Score(predicted, truth);

        Assert.Equal((1, 2, 1), (scores.Matched, scores.PredictedObjects, scores.TruthObjects));
        Assert.Equal(0.5, scores.Precision);
        Assert.Equal(1, scores.Recall);
        Assert.Equal(2.0 / 3, scores.F1, 12);
        Assert.Equal(7.0 / 11, scores.MeanMatchedIoU, 12);

        // At three thresholds TP/(TP+FP+FN) = 1/2, at the other seven 0/3.
        Assert.Equal(0.15, scores.Dsb, 12);
    }

    [Fact]
    public void NothingToFindAndNothingFoundIsPerfect()
    {
        var empty = LabelArt.Parse("....", "....");

        var scores = InstanceMatching.Score(empty, empty);

        Assert.Equal((1.0, 1.0, 1.0, 1.0), (scores.F1, scores.Precision, scores.Recall, scores.Dsb));
    }

    [Fact]
    public void ImagesCombineByAddingCountsAndAveragingTheirDsbScores()
    {
        var perfect = InstanceMatching.Score(LabelArt.Parse("11..22"), LabelArt.Parse("33..44"));
        var merged = InstanceMatching.Score(LabelArt.Parse("1111"), LabelArt.Parse("1122"));

        var both = InstanceScores.Combine([perfect, merged]);

        Assert.Equal((4, 3, 2, 1, 2), (both.TruthObjects, both.PredictedObjects, both.Matched, both.Merges, both.Images));
        Assert.Equal(0.5, both.Dsb);
        Assert.Equal(4.0 / 7, both.F1, 12);
    }
}
