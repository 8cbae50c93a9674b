using System.Text.Json;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>
/// What one image's outputs were made from, kept in the output beside them: the input's bytes (by
/// hash), the model's, the options that change the outputs' bytes, and each output with its size.
/// Written last, after every output of the image is stored, and removed first before the image is
/// segmented again, so a manifest that is there always describes outputs of one run. A later job
/// with --resume skips the image when all of it still holds.
/// </summary>
/// <param name="Image">The image's name under the job's input.</param>
/// <param name="InputBytes">The input file's size in bytes.</param>
/// <param name="InputSha256">The SHA-256 of the input file's bytes.</param>
/// <param name="ModelSha256">The SHA-256 of the model file's bytes.</param>
/// <param name="Options">The options that change the outputs' bytes, as the run used them.</param>
/// <param name="Outputs">Each output's name under the job's output, with its size in bytes.</param>
/// <param name="Summary">The image's figures, so a later report covers it without segmenting it again.</param>
/// <param name="Job">The job whose run made the outputs.</param>
/// <param name="Version">The version of the tool that made them.</param>
public sealed record ImageManifest(
    string Image,
    long InputBytes,
    string InputSha256,
    string ModelSha256,
    OutputOptions Options,
    IReadOnlyDictionary<string, long> Outputs,
    ImageSummary Summary,
    string Job,
    string Version)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The manifest in <paramref name="json"/>, or null when it is not one (damaged, or from another tool): the image is then simply done again.</summary>
    public static ImageManifest? FromJson(byte[] json)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<ImageManifest>(json, Json);
            return manifest is { Options.Values: not null, Outputs: not null, Summary: not null } ? manifest : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why the outputs this manifest describes are not what the run now asked for would make, in a
    /// user's words ("input changed", "option --tile changed (64 → 128)"); null when they are.
    /// Outputs still on storage are checked apart (<see cref="ImageManifests.MissingOutputAsync"/>).
    /// </summary>
    public string? WhyNotCurrent(long inputBytes, string inputSha256, string modelSha256, OutputOptions options)
    {
        if (inputBytes != InputBytes || !string.Equals(inputSha256, InputSha256, StringComparison.Ordinal))
        {
            return "input changed";
        }

        if (!string.Equals(modelSha256, ModelSha256, StringComparison.Ordinal))
        {
            return "model changed";
        }

        return Options.WhyDifferent(options);
    }
}
