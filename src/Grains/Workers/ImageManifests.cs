using System.Security.Cryptography;
using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Engine;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// The images' manifests in a job's output (<see cref="ImageManifest"/>, one small file per image
/// under <see cref="Folder"/>), and the judgement a continuing job makes with them: skip the image,
/// segment it again and why, or (with --retry-failed) leave it out and why. They live in the output,
/// not in the cluster's state, so they outlast any restart and any cluster.
/// </summary>
public sealed class ImageManifests(IDatasetStorage storage)
{
    /// <summary>Where the manifests are kept, beside the output's owner file.</summary>
    public const string Folder = ".unetpp/manifests";

    public static string NameOf(string image) => $"{Folder}/{image}.json";

    /// <summary>The SHA-256 of an input read to its end, and its length.</summary>
    public static async Task<(long Bytes, string Sha256)> HashAsync(Stream input, CancellationToken cancellationToken)
    {
        var hash = await SHA256.HashDataAsync(input, cancellationToken);
        return (input.Length, Convert.ToHexStringLower(hash));
    }

    /// <summary>
    /// What a continuing job does with the image: <paramref name="input"/> is read to its end for its
    /// hash when there is a manifest to compare it with, and left where it was found.
    /// </summary>
    public async Task<ResumeVerdict> JudgeAsync(JobSpec spec, ImagesWork work, string image, Stream input, string modelSha256, int tileSize, CancellationToken cancellationToken)
    {
        var manifest = await ReadAsync(spec.Output, image, cancellationToken);
        string why;
        if (manifest is null)
        {
            why = "no outputs of an earlier run";
        }
        else
        {
            var start = input.Position;
            var (bytes, sha) = await HashAsync(input, cancellationToken);
            input.Position = start;
            why = manifest.WhyNotCurrent(bytes, sha, modelSha256, OutputOptions.Of(spec, tileSize))
                ?? await MissingOutputAsync(spec.Output, manifest, cancellationToken)
                ?? "";
            if (why.Length == 0)
            {
                return new ResumeVerdict.Skip(manifest);
            }
        }

        return work.OnlyIfCurrent
            ? new ResumeVerdict.LeaveOut($"{why}; the earlier job did not fail it, so --retry-failed leaves it (--resume would segment it)")
            : new ResumeVerdict.Redo(manifest is not null ? why : spec.RetryFailed ? "failed in the earlier job" : null);
    }

    /// <summary>The manifest of an image just segmented by <paramref name="engine"/> into <paramref name="outputs"/>.</summary>
    public static ImageManifest Describe(
        JobSpec spec, string image, long inputBytes, string inputSha256, SegmentationEngine engine, IReadOnlyDictionary<string, long> outputs, ImageSummary summary, string jobId) =>
        new(image, inputBytes, inputSha256, engine.Model.Sha256, OutputOptions.Of(spec, engine.TileSize), outputs, summary, jobId, ToolVersion.Current);

    public Task WriteAsync(string output, ImageManifest manifest, CancellationToken cancellationToken) =>
        storage.WriteAsync(output, NameOf(manifest.Image), manifest.ToJson(), cancellationToken);

    /// <summary>Removes the image's manifest before its outputs are written again, so none ever describes a mix of two runs.</summary>
    public Task RemoveAsync(string output, string image, CancellationToken cancellationToken) =>
        storage.DeleteAsync(output, NameOf(image), cancellationToken);

    private async Task<ImageManifest?> ReadAsync(string output, string image, CancellationToken cancellationToken)
    {
        try
        {
            return ImageManifest.FromJson(await storage.ReadAsync(output, NameOf(image), cancellationToken));
        }
        catch (StorageObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The first recorded output that is gone or not the size it was written at, as a reason; null when all are there.</summary>
    private async Task<string?> MissingOutputAsync(string output, ImageManifest manifest, CancellationToken cancellationToken)
    {
        foreach (var (name, size) in manifest.Outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            try
            {
                await using var stored = await storage.OpenReadAsync(output, name, cancellationToken);
                if (stored.Length != size)
                {
                    return $"{name} changed since it was written";
                }
            }
            catch (StorageObjectNotFoundException)
            {
                return $"{name} missing";
            }
        }

        return null;
    }
}

/// <summary>What a continuing job does with one image, after reading its manifest.</summary>
public abstract record ResumeVerdict
{
    private ResumeVerdict()
    {
    }

    /// <summary>The outputs are complete and current: the image is not segmented again.</summary>
    public sealed record Skip(ImageManifest Manifest) : ResumeVerdict;

    /// <summary>The image is segmented; <paramref name="Why"/> says why an earlier run's outputs did not do (null when there were none).</summary>
    public sealed record Redo(string? Why) : ResumeVerdict;

    /// <summary>With --retry-failed: not one of the failures asked for, and not current either.</summary>
    public sealed record LeaveOut(string Why) : ResumeVerdict;
}
