using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model.Quantization;
using UNetPP.Cluster.Segmentation.Onnx;

namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// What a program needs to know to use a segmentation ONNX file that the graph alone does not say:
/// which outputs are the heads, whether they are logits, how pixels are normalised, which modes exist.
/// Travels inside the file (metadata <see cref="MetadataKey"/>) or beside it as <c>.card.json</c>.
/// </summary>
public sealed record ModelCard
{
    /// <summary>The <c>metadata_props</c> key that holds the card's JSON.</summary>
    public const string MetadataKey = "unetpp.card";

    public const string NestedUNetArchitecture = "NestedUNet";
    public const string Sigmoid = "sigmoid";
    public const string Softmax = "softmax";
    public const string Fp32 = "fp32";
    public const string Fp16 = "fp16";
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The precision's name, beside Fp32 and Fp16.")]
    public const string Int8 = "int8";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary><c>NestedUNet</c> for the seed architecture (enables analytic figures), anything else for foreign files.</summary>
    public string Architecture { get; init; } = NestedUNetArchitecture;

    /// <summary>The level widths of a NestedUNet; empty for other architectures.</summary>
    public IReadOnlyList<int> Filters { get; init; } = [];

    public int InChannels { get; init; } = 3;

    public int Classes { get; init; } = 1;

    public bool DeepSupervision { get; init; }

    public string InputName { get; init; } = "input";

    /// <summary>ONNX output names of the heads, shallowest (L1) first; the last one is the L4 head.</summary>
    public IReadOnlyList<string> HeadOutputs { get; init; } = ["final"];

    /// <summary>False when the file's heads already hold probabilities, so no activation is added.</summary>
    public bool HeadsAreLogits { get; init; } = true;

    /// <summary><see cref="Sigmoid"/> (per channel) or <see cref="Softmax"/> (across channels).</summary>
    public string Activation { get; init; } = Sigmoid;

    public InputNormalization Normalization { get; init; } = InputNormalization.ImageNet;

    public bool AllowColorToGray { get; init; }

    /// <summary>Probability at or above which a pixel belongs to the foreground (one-class models).</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>
    /// Objects of fewer pixels are specks, left out of instance labels, counts and measurements unless a job
    /// says otherwise (<c>--min-object-size</c>). Cards written before the field read as 20: the smallest
    /// nucleus the shipped model's data holds is larger, most specks are smaller.
    /// </summary>
    public int MinObjectSize { get; init; } = 20;

    /// <summary>Suggested tile edge; a multiple of 16 so that four 2× poolings divide it evenly.</summary>
    public int TileSize { get; init; } = 256;

    /// <summary>
    /// What the graph computes in: <see cref="Fp32"/>, or <see cref="Fp16"/> inside with a float32 input and
    /// float32 heads at its edges, or <see cref="Int8"/> (quantised convolutions between float32 edges, made by
    /// <see cref="ModelQuantizer"/>; <see cref="Calibration"/> says on what). Cards written before the field
    /// existed read as fp32, which they are.
    /// </summary>
    public string Precision { get; init; } = Fp32;

    /// <summary>How an <see cref="Int8"/> file's activation ranges were calibrated; null for any other precision.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CalibrationRecord? Calibration { get; init; }

    /// <summary>Names of the inference modes this file supports (see <see cref="InferenceModes"/>).</summary>
    public IReadOnlyList<string> Modes { get; init; } = [InferenceMode.L4.ToName()];

    /// <summary>
    /// Where a model brought in from elsewhere came from and what was assumed to bring it in (for a
    /// bioimage.io package, the input range its fixed normalisation holds for), for the people who use it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Origin { get; init; }

    /// <summary>The card of a NestedUNet built by this project with <paramref name="options"/>.</summary>
    public static ModelCard ForNestedUNet(NestedUNetOptions options)
    {
        options.Validate();
        return new ModelCard
        {
            Architecture = NestedUNetArchitecture,
            Filters = [.. options.Filters],
            InChannels = options.InChannels,
            Classes = options.Classes,
            DeepSupervision = options.DeepSupervision,
            InputName = NestedUNetBuilder.InputName,
            HeadOutputs = NestedUNetBuilder.HeadNames(options.DeepSupervision),
            HeadsAreLogits = true,
            Activation = DefaultActivation(options.Classes),
            Normalization = DefaultNormalization(options.InChannels),
            AllowColorToGray = options.InChannels == 1,
            Modes = options.DeepSupervision ? [.. InferenceModes.All] : [InferenceMode.L4.ToName()],
        };
    }

    /// <summary>Sigmoid for a single foreground channel, softmax when channels compete.</summary>
    public static string DefaultActivation(int classes) => classes == 1 ? Sigmoid : Softmax;

    /// <summary>
    /// ImageNet statistics for RGB (what the seed trains with); otherwise mean 0.5 and std 0.5 per channel,
    /// which maps [0, 1] onto [-1, 1] without assuming anything about the channels' content.
    /// </summary>
    public static InputNormalization DefaultNormalization(int channels) =>
        channels == 3
            ? InputNormalization.ImageNet
            : new([.. Enumerable.Repeat(0.5f, channels)], [.. Enumerable.Repeat(0.5f, channels)]);

    public InputSpec ToInputSpec() => new(InChannels, AllowColorToGray, Normalization);

    /// <summary>Whether the card lists <paramref name="mode"/>.</summary>
    public bool Supports(InferenceMode mode) =>
        Modes.Any(m => InferenceModes.TryParse(m, out var listed) && listed == mode);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first field that cannot be right.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Architecture), "architecture is empty");
        Require(InChannels > 0, $"inChannels must be positive; got {InChannels}");
        Require(Classes > 0, $"classes must be positive; got {Classes}");
        Require(!string.IsNullOrEmpty(InputName), "inputName is empty");
        Require(HeadOutputs is { Count: > 0 }, "headOutputs is empty");
        Require(HeadOutputs.All(h => !string.IsNullOrEmpty(h)), "headOutputs has an empty name");
        Require(HeadOutputs.Distinct(StringComparer.Ordinal).Count() == HeadOutputs.Count, "headOutputs repeats a name");
        Require(Activation is Sigmoid or Softmax, $"activation must be '{Sigmoid}' or '{Softmax}'; got '{Activation}'");
        Require(Activation != Softmax || Classes > 1, "activation 'softmax' needs at least 2 classes");
        Require(Normalization is { Mean: not null, Std: not null }, "normalization needs mean and std");
        Require(
            Normalization.Mean.Length == InChannels && Normalization.Std.Length == InChannels,
            $"normalization has {Normalization.Mean.Length} means and {Normalization.Std.Length} stds for {InChannels} channels");
        Require(Normalization.Std.All(s => s > 0 && float.IsFinite(s)), "normalization std must be positive");
        Require(Normalization.Problem() is null, Normalization.Problem() ?? "");
        Require(Threshold is > 0 and < 1, $"threshold must lie in (0, 1); got {Threshold}");
        Require(MinObjectSize >= 0, $"minObjectSize must be 0 or more; got {MinObjectSize}");
        Require(Precision is Fp32 or Fp16 or Int8, $"precision must be '{Fp32}', '{Fp16}' or '{Int8}'; got '{Precision}'");
        Require(
            Precision != Int8 || Calibration is not null,
            $"precision '{Int8}' needs the calibration that set its ranges (quantise with 'unetpp model quantize')");
        Require(
            Precision == Int8 || Calibration is null,
            $"calibration belongs to precision '{Int8}'; this card says '{Precision}'");
        if (Calibration?.Problem() is { } calibrationProblem)
        {
            Require(false, $"calibration: {calibrationProblem}");
        }

        Require(TileSize > 0 && TileSize % 16 == 0, $"tileSize must be a positive multiple of 16; got {TileSize}");
        Require(Modes is { Count: > 0 }, "modes is empty");
        foreach (var name in Modes)
        {
            Require(
                InferenceModes.TryParse(name, out var mode),
                $"mode '{name}' is unknown; use {string.Join(", ", InferenceModes.All)}");
            Require(
                mode is InferenceMode.L4 or InferenceMode.Accurate || HeadOutputs.Count == 4,
                $"mode {name} needs four heads; the card names {HeadOutputs.Count}");
        }

        if (Architecture == NestedUNetArchitecture)
        {
            Require(
                Filters is { Count: NestedUNetOptions.Levels } && Filters.All(f => f > 0),
                $"a NestedUNet needs {NestedUNetOptions.Levels} positive filters");
            Require(
                HeadOutputs.Count == (DeepSupervision ? 4 : 1),
                $"a NestedUNet with deepSupervision {DeepSupervision.ToString().ToLowerInvariant()} has {(DeepSupervision ? 4 : 1)} heads; the card names {HeadOutputs.Count}");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and validates a card; throws <see cref="InvalidDataException"/> with the reason.</summary>
    public static ModelCard FromJson(string json)
    {
        ModelCard? card;
        try
        {
            using (var document = JsonDocument.Parse(json))
            {
                CardKeys.Check(document.RootElement, Json);
            }

            card = JsonSerializer.Deserialize<ModelCard>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the model card is not valid JSON: {e.Message}", e);
        }

        if (card is null)
        {
            throw new InvalidDataException("the model card is empty (JSON null)");
        }

        card.Validate();
        return card;
    }

    /// <summary>The card stored in <paramref name="model"/>'s metadata, or null when it has none.</summary>
    public static ModelCard? ReadFrom(ModelProto model)
    {
        var entry = model.MetadataProps.LastOrDefault(p => p.Key == MetadataKey);
        return entry is null ? null : FromJson(entry.Value);
    }

    /// <summary>Stores the card in <paramref name="model"/>'s metadata, replacing any card already there.</summary>
    public void WriteTo(ModelProto model)
    {
        Validate();
        for (var i = model.MetadataProps.Count - 1; i >= 0; i--)
        {
            if (model.MetadataProps[i].Key == MetadataKey)
            {
                model.MetadataProps.RemoveAt(i);
            }
        }

        model.MetadataProps.Add(new StringStringEntryProto { Key = MetadataKey, Value = ToJson() });
    }

    private static void Require([DoesNotReturnIf(false)] bool condition, string reason)
    {
        if (!condition)
        {
            throw new InvalidDataException($"model card: {reason}");
        }
    }
}
