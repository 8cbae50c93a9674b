using System.Security.Cryptography;
using NetVips;
using UNetPP.Cluster.Segmentation.Masks;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Segmentation.Tests.Synthetic;

/// <summary>The synthetic nuclei behind <c>unetpp nuclei</c>, the samples and the shipped model's training set.</summary>
public sealed class SyntheticNucleiTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("unetpp-nuclei-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TheGeneratorIsDeterministicFromItsSeed()
    {
        var a = new SyntheticNuclei(80, 60, seed: 5).Create(2);
        var b = new SyntheticNuclei(80, 60, seed: 5).Create(2);
        var c = new SyntheticNuclei(80, 60, seed: 6).Create(2);

        Assert.Equal(a.ImagePng, b.ImagePng);
        Assert.Equal(a.MaskPng, b.MaskPng);
        Assert.NotEqual(a.ImagePng, c.ImagePng);
    }

    [Fact]
    public void AFieldIsTheSameInEveryProcess()
    {
        // Pinned, since a seed mixed per process (as HashCode does) passes every in-process comparison.
        var field = new SyntheticNuclei(64, 48, seed: 3).Draw(1);

        Assert.Equal("81536D1A015D14CF5BF2EE110E602153A2D5A022C7CBCC8071F160A78E96E52A", Convert.ToHexString(SHA256.HashData([.. field.Rgb, .. field.Mask])));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelsCoverTheMaskWithIdsOneToN(bool crowded)
    {
        var field = new SyntheticNuclei(256, 256, seed: 9, crowded).Draw(0);

        Assert.All(Enumerable.Range(0, field.Mask.Length), i => Assert.Equal(field.Mask[i] == 255, field.Labels[i] > 0));
        var ids = field.Labels.Where(id => id > 0).Distinct().Order().Select(id => (int)id).ToArray();
        Assert.Equal(Enumerable.Range(1, ids.Length), ids);
    }

    [Fact]
    public void CrowdedFieldsHoldMoreNucleiAndMoreOfThemTouching()
    {
        static (double Nuclei, double Touching) Measure(bool crowded)
        {
            var generator = new SyntheticNuclei(256, 256, seed: 11, crowded);
            double nuclei = 0, regions = 0;
            for (var i = 0; i < 4; i++)
            {
                var field = generator.Draw(i);
                nuclei += field.Labels.Max();
                regions += ConnectedComponents.AreasByLabel(field.Mask, field.Width, field.Height)[255].Count;
            }

            return (nuclei, 1 - (regions / nuclei));
        }

        var plain = Measure(crowded: false);
        var crowded = Measure(crowded: true);

        Assert.True(crowded.Nuclei > plain.Nuclei * 1.5, $"{crowded.Nuclei} nuclei crowded against {plain.Nuclei} plain");
        Assert.True(crowded.Touching > plain.Touching, $"crowded {crowded.Touching:P0} merged into a neighbour's region against plain {plain.Touching:P0}");
    }

    [Fact]
    public void WrittenLabelsAreSixteenBitPngsOfTheSameNames()
    {
        SyntheticNuclei.Write(_folder, count: 2, width: 64, height: 48, seed: 4, crowded: true, instances: true);

        var names = Directory.GetFiles(Path.Combine(_folder, "images")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(names, Directory.GetFiles(Path.Combine(_folder, "labels")).Select(Path.GetFileName).Order().ToArray());
        using var labels = Image.NewFromBuffer(File.ReadAllBytes(Path.Combine(_folder, "labels", names[1]!)));
        Assert.Equal(Enums.BandFormat.Ushort, labels.Format);
        var pixels = labels.WriteToMemory<ushort>();
        Assert.Equal(new SyntheticNuclei(64, 48, seed: 4, crowded: true).Draw(1).Labels, pixels);
    }

    [Fact]
    public void WithoutInstancesNoLabelsAreWritten()
    {
        SyntheticNuclei.Write(_folder, count: 1, width: 32, height: 32, seed: 4);

        Assert.False(Directory.Exists(Path.Combine(_folder, "labels")));
    }
}
