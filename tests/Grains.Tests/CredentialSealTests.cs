using System.Security.Cryptography;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Jobs;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>A job's SAS is stored only sealed, and opens again only with the same key, for the same job.</summary>
public sealed class CredentialSealTests
{
    private const string InputSas = "sv=2026-06-06&sr=c&sp=rl&sig=aW5wdXQgc2lnbmF0dXJl%2Bx%3D";
    private const string OutputSas = "sv=2026-06-06&sr=c&sp=rwdc&sig=b3V0cHV0IHNpZ25hdHVyZQ%3D%3D";

    private static readonly JobSpec Spec = new()
    {
        Input = "https://lab.blob.core.windows.net/images/plate1?" + InputSas,
        Output = "https://lab.blob.core.windows.net/masks/plate1?" + OutputSas,
        Model = "az://models/nuclei.onnx",
        Labels = "/data/labels",
        TileSize = 128,
    };

    [Fact]
    public void TheStoredSpecAndTheSealHoldNoSignatureAndOpenBackToTheSubmittedSpec()
    {
        var seal = CredentialSeal.WithKey(RandomNumberGenerator.GetBytes(CredentialSeal.KeyBytes));

        var (stored, sealedSas) = seal.Seal("job-1", Spec);

        Assert.Equal(("https://lab.blob.core.windows.net/images/plate1", "https://lab.blob.core.windows.net/masks/plate1"), (stored.Input, stored.Output));
        Assert.Equal((Spec.Model, Spec.Labels, 128), (stored.Model, stored.Labels, stored.TileSize));
        Assert.NotNull(sealedSas);
        foreach (var text in new[] { sealedSas, stored.ToString() })
        {
            Assert.DoesNotContain("sig=", text, StringComparison.Ordinal);
            Assert.DoesNotContain("aW5wdXQgc2lnbmF0dXJl", text, StringComparison.Ordinal);
            Assert.DoesNotContain("b3V0cHV0IHNpZ25hdHVyZQ", text, StringComparison.Ordinal);
        }

        Assert.Equal(Spec, seal.Open("job-1", stored, sealedSas));
    }

    [Fact]
    public void ASpecWithoutASasNeedsNoKeyAndStaysAsItIs()
    {
        var local = Spec with { Input = "/data/images", Output = "az://masks/plate1" };

        var (stored, sealedSas) = CredentialSeal.WithoutKey().Seal("job-1", local);

        Assert.Equal(local, stored);
        Assert.Null(sealedSas);
        Assert.Equal(local, CredentialSeal.WithoutKey().Open("job-1", stored, null));
    }

    [Fact]
    public void AClusterWithoutAKeyRefusesASasNamingTheSetting()
    {
        var refused = Assert.Throws<ArgumentException>(() => CredentialSeal.WithoutKey().Seal("job-1", Spec));

        Assert.Contains(CredentialSeal.Setting, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherKeyCannotOpenItAndSaysWhichSettingDiffers()
    {
        var (stored, sealedSas) = CredentialSeal.WithKey(RandomNumberGenerator.GetBytes(CredentialSeal.KeyBytes)).Seal("job-1", Spec);

        var other = Assert.ThrowsAny<CryptographicException>(() => CredentialSeal.WithKey(RandomNumberGenerator.GetBytes(CredentialSeal.KeyBytes)).Open("job-1", stored, sealedSas));
        var none = Assert.ThrowsAny<CryptographicException>(() => CredentialSeal.WithoutKey().Open("job-1", stored, sealedSas));

        Assert.Contains(CredentialSeal.Setting, other.Message, StringComparison.Ordinal);
        Assert.Contains(CredentialSeal.Setting, none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASealOpensOnlyForItsOwnJob()
    {
        var seal = CredentialSeal.WithKey(RandomNumberGenerator.GetBytes(CredentialSeal.KeyBytes));
        var (stored, sealedSas) = seal.Seal("job-1", Spec);

        Assert.ThrowsAny<CryptographicException>(() => seal.Open("job-2", stored, sealedSas));
    }

    [Fact]
    public void ADamagedSealIsRefusedNotMisread()
    {
        var seal = CredentialSeal.WithKey(RandomNumberGenerator.GetBytes(CredentialSeal.KeyBytes));
        var (stored, sealedSas) = seal.Seal("job-1", Spec);
        var flipped = sealedSas![..^4] + (sealedSas[^4] == 'A' ? 'B' : 'A') + sealedSas[^3..];

        Assert.ThrowsAny<CryptographicException>(() => seal.Open("job-1", stored, flipped));
        Assert.ThrowsAny<CryptographicException>(() => seal.Open("job-1", stored, sealedSas[..20]));
    }
}
