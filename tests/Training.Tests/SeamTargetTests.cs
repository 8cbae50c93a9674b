using NetVips;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Synthetic;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>Training from instance labels: nuclei are 1, the pixels where two touch the seam probability, background 0.</summary>
public sealed class SeamTargetTests : IDisposable
{
    private readonly string _folder = TrainingTestKit.TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TouchingNucleiGetTheSeamProbabilityWhereTheyMeetAndOneElsewhere()
    {
        var data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        Directory.CreateDirectory(Path.Combine(data, "labels"));
        using (var gray = Image.Black(8, 4).Cast(Enums.BandFormat.Uchar))
        {
            gray.WriteToFile(Path.Combine(data, "images", "nuclei-000.png"));
        }

        // Two squares side by side (ids 1 and 2, meeting between columns 2 and 3) and a lone pixel (id 3).
        ushort[] labels =
        [
            0, 1, 1, 2, 2, 0, 0, 0,
            0, 1, 1, 2, 2, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 3, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
        ];
        using (var image = Image.NewFromMemory(labels, 8, 4, 1, Enums.BandFormat.Ushort))
        {
            image.WriteToFile(Path.Combine(data, "labels", "nuclei-000.png"));
        }

        var examples = await TrainingData.LoadAsync(new LocalObjectStore(data), data, ModelCard.ForNestedUNet(TrainingTestKit.Small()).ToInputSpec(), 0.7, CancellationToken.None);

        var target = Assert.Single(examples).Mask;
        Assert.Equal(
            [
                0, 1, 0.7f, 0.7f, 1, 0, 0, 0,
                0, 1, 0.7f, 0.7f, 1, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 1, 0,
                0, 0, 0, 0, 0, 0, 0, 0,
            ],
            target);
    }

    [Fact]
    public async Task ImagesWithoutInstanceLabelsAreRefusedNamingTheFolderAndHowToMakeThem()
    {
        var data = Path.Combine(_folder, "data");
        SyntheticNuclei.Write(data, count: 1, width: 16, height: 16, seed: 1);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            TrainingData.LoadAsync(new LocalObjectStore(data), data, ModelCard.ForNestedUNet(TrainingTestKit.Small()).ToInputSpec(), 0.7, CancellationToken.None));

        Assert.Contains("no instance labels with the same name under", error.Message, StringComparison.Ordinal);
        Assert.Contains("unetpp nuclei --instances", error.Message, StringComparison.Ordinal);
    }
}
