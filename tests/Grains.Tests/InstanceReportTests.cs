using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;
using UNetPP.Cluster.Grains.Workers;
using UNetPP.Cluster.Segmentation.Instances;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// Instance scores, ground-truth kinds and object sizes on their way into the report: from a worker's
/// summary to the coordinator, into report.json and back, and added up over the job's images.
/// </summary>
public sealed class InstanceReportTests
{
    private static readonly InstanceScores Good = new(TruthObjects: 4, PredictedObjects: 5, Matched: 4, MatchedIoUSum: 3.2, Dsb: 0.6, Images: 1, Merges: 0, Splits: 1);
    private static readonly InstanceScores Poor = new(TruthObjects: 6, PredictedObjects: 3, Matched: 1, MatchedIoUSum: 0.55, Dsb: 0.1, Images: 1, Merges: 2, Splits: 0);

    private static ImageSummary Summary(InstanceScores? scores, LabelsKind? labels) => new()
    {
        Width = 32,
        Height = 24,
        Tiles = 1,
        Mask = "masks/a.png",
        Classes = [new ClassSummary { Class = 1, ObjectCount = 5, ObjectSizes = [0, 1, 0, 4] }],
        Instances = scores is null ? null : InstanceQualities.From(scores),
        Labels = labels,
    };

    [Fact]
    public void AnImagesScoresAreTheReportsFigures()
    {
        var quality = InstanceQualities.From(Good);

        Assert.Equal((Good.F1, Good.Precision, Good.Recall, Good.MeanMatchedIoU, Good.Dsb), (quality.F1, quality.Precision, quality.Recall, quality.MeanMatchedIoU, quality.Dsb));
        Assert.Equal((4, 5, 4, 0, 1, 1), (quality.TruthObjects, quality.PredictedObjects, quality.Matched, quality.Merges, quality.Splits, quality.Images));
    }

    [Fact]
    public void ObjectAreasAreCountedInBinsThatDoubleInWidth()
    {
        // 1 | 2–3 | 4–7 | 8–15 | 16–31 | 32–63 | 64–127
        var found = new ClassMaskSummary(1, 125, 0.5, 0.9, [100, 8, 7, 4, 3, 2, 1]);

        var summary = ImageSummaries.Of(16, 16, 1, new ImageMaskSummary(16, 16, [found]), null, "masks/a.png", TimeSpan.Zero);

        Assert.Equal([1, 2, 2, 1, 0, 0, 1], Assert.Single(summary.Classes).ObjectSizes);
        Assert.Empty(ObjectSizeBins.Count([]));
        Assert.Equal([2, 2, 2, 1, 0, 0, 1], ObjectSizeBins.Add([summary.Classes[0].ObjectSizes, [1, 0, 0], []]));
    }

    [Fact]
    public void TheJobsTotalsAddCountsAndAverageTheImagesDsbScores()
    {
        var total = InstanceQualities.Combine([InstanceQualities.From(Good), InstanceQualities.From(Poor)])!;

        var expected = InstanceQualities.From(InstanceScores.Combine([Good, Poor]));
        Assert.Equal((10, 8, 5, 2, 1, 2), (total.TruthObjects, total.PredictedObjects, total.Matched, total.Merges, total.Splits, total.Images));
        Assert.Equal(0.35, total.Dsb, 12);
        Assert.Equal(10.0 / 18, total.F1, 12);
        Assert.Equal(expected.MeanMatchedIoU, total.MeanMatchedIoU, 12);
        Assert.Null(InstanceQualities.Combine([]));
    }

    [Fact]
    public void GroundTruthKindsAreNamedInTheReportsWords()
    {
        var instances = new GroundTruthKind(classes: 1);
        instances.AddRow<ushort>([0, 1, 2]);
        var binary = new GroundTruthKind(classes: 1);
        binary.AddRow<byte>([0, 255, 255]);

        Assert.Equal(LabelsKind.InstanceLabels, InstanceQualities.Labels(instances));
        Assert.Equal(LabelsKind.BinaryMasks, InstanceQualities.Labels(binary));
        Assert.Equal(LabelsKind.ClassMasks, InstanceQualities.Labels(new GroundTruthKind(classes: 3)));
    }

    [Fact]
    public void TheReportCarriesEachImagesScoresAndTheJobsTotalsThroughJson()
    {
        var outcome = new PageOutcome(
            new Dictionary<string, ImageSummary>
            {
                ["a.png"] = Summary(Good, LabelsKind.InstanceLabels),
                ["b.png"] = Summary(Poor, LabelsKind.InstanceLabels),
                ["c.png"] = Summary(null, LabelsKind.BinaryMasks),
                ["d.png"] = Summary(null, null),
            },
            [],
            new Dictionary<string, int>());
        var job = new JobRecord { Spec = Work.Spec("in", "out"), State = JobState.Completed, Total = 4 };

        var json = JobReportBuilder.Build("job-1", job, [outcome], DateTimeOffset.UnixEpoch).ToJson();
        var report = JobReport.FromJson(json);

        Assert.Contains("\"meanMatchedIoU\": ", json, StringComparison.Ordinal);
        Assert.Contains("\"dsb\": 0.35", json, StringComparison.Ordinal);
        Assert.Contains("\"labels\": \"InstanceLabels\"", json, StringComparison.Ordinal);
        Assert.Contains("\"objectSizes\": [", json, StringComparison.Ordinal);
        Assert.Equal(InstanceQualities.Combine([InstanceQualities.From(Good), InstanceQualities.From(Poor)]), report.Instances);
        Assert.Equal(
            [("a.png", InstanceQualities.From(Good), LabelsKind.InstanceLabels), ("b.png", InstanceQualities.From(Poor), LabelsKind.InstanceLabels), ("c.png", null, LabelsKind.BinaryMasks), ("d.png", null, null)],
            report.Images.Select(i => (i.Name, i.Instances, i.Labels)));
        Assert.Equal([0, 1, 0, 4], report.Images[0].Classes[0].ObjectSizes);
    }

    [Fact]
    public void AReportWithoutInstancesWritesNoneOfTheirFields()
    {
        var outcome = new PageOutcome(new Dictionary<string, ImageSummary> { ["d.png"] = Summary(null, null) }, [], new Dictionary<string, int>());
        var job = new JobRecord { Spec = Work.Spec("in", "out"), State = JobState.Completed, Total = 1 };

        var json = JobReportBuilder.Build("job-1", job, [outcome], DateTimeOffset.UnixEpoch).ToJson();

        Assert.DoesNotContain("\"instances\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"labels\"", json, StringComparison.Ordinal);
        Assert.Null(JobReport.FromJson(json).Instances);
    }

    [Fact]
    public void ASummaryKeepsItsScoresLabelsAndSizesBetweenSilos()
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var summary = Summary(Good, LabelsKind.InstanceLabels);

        var copy = Assert.IsType<ImageSummary>(serializer.Deserialize<ImageSummary>(serializer.SerializeToArray(summary)));

        Assert.Equal(summary.Instances, copy.Instances);
        Assert.Equal(LabelsKind.InstanceLabels, copy.Labels);
        Assert.Equal([0, 1, 0, 4], Assert.Single(copy.Classes).ObjectSizes);
    }
}
