namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>A pre- or postprocessing step of a tensor: its name and arguments, and where it is written.</summary>
internal sealed record ProcessingStep(string Name, RdfNode? Arguments, string Where)
{
    /// <summary>The step as a message names it: <c>inputs[0].preprocessing[1] 'clip'</c>.</summary>
    public override string ToString() => $"{Where} '{Name}'";
}

/// <summary>The sizes an axis takes: <c>Min + n × Step</c>, or exactly <c>Min</c> when <c>Step</c> is 0.</summary>
internal sealed record AxisSizes(int Min, int Step);

/// <summary>
/// One input or output of a bioimage.io model, in the terms format 0.4 and 0.5 share: axes as letters
/// (<c>b</c> batch, <c>c</c> channel, <c>y</c>, <c>x</c>, <c>z</c> space, <c>t</c> time, <c>i</c> index).
/// </summary>
internal sealed record TensorDescription(
    string Id,
    string Axes,
    IReadOnlyList<string> ChannelNames,
    string DataType,
    double? RangeMin,
    double? RangeMax,
    IReadOnlyList<ProcessingStep> Steps,
    string? TestTensor,
    AxisSizes? Height,
    AxisSizes? Width,
    int Halo);

/// <summary>How far a reproduced test output may stray from the package's (<c>numpy.allclose</c>'s terms).</summary>
internal sealed record TestTolerance(double Relative, double Absolute, double MismatchedPerMillion)
{
    /// <summary>What the zoo's own test allows where a package says nothing.</summary>
    public static TestTolerance Default { get; } = new(1e-3, 1e-4, 0);
}

/// <summary>
/// The parts of a bioimage.io model description (<c>rdf.yaml</c>, format 0.5, or 0.4 where it differs) that
/// running the model needs: its one input and output, its ONNX weights and its test tolerance.
/// </summary>
internal sealed record ModelDescription(
    string Name,
    string FormatVersion,
    TensorDescription Input,
    TensorDescription Output,
    string OnnxWeights,
    TestTolerance Tolerance)
{
    private static readonly string[] OtherWeights =
        ["pytorch_state_dict", "torchscript", "keras_hdf5", "tensorflow_saved_model_bundle", "tensorflow_js"];

    private static readonly Dictionary<string, char> AxisLetters = new(StringComparer.Ordinal)
    {
        ["batch"] = 'b',
        ["channel"] = 'c',
        ["index"] = 'i',
        ["time"] = 't',
    };

    /// <summary>Reads the description; throws <see cref="InvalidDataException"/> naming the field that cannot be used.</summary>
    public static ModelDescription Read(RdfNode root)
    {
        var type = root.Find("type")?.Text ?? "model";
        if (type != "model")
        {
            throw new InvalidDataException($"it describes a '{type}', not a model");
        }

        var version = root["format_version"].Text;
        var legacy = version.StartsWith("0.4.", StringComparison.Ordinal);
        if (!legacy && !version.StartsWith("0.5.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"format_version {version} is not read; unetpp reads bioimage.io model descriptions 0.5 and 0.4");
        }

        var inputs = One(root, "inputs");
        var outputs = One(root, "outputs");
        var input = legacy ? ReadLegacy(inputs, "preprocessing", root, "test_inputs") : Read(inputs, "preprocessing");
        var output = legacy ? ReadLegacy(outputs, "postprocessing", root, "test_outputs") : Read(outputs, "postprocessing");
        var weights = root["weights"];
        var onnx = weights.Find("onnx")
            ?? throw new InvalidDataException(
                $"the package has no ONNX weights (it has {string.Join(", ", Keys(weights))}); unetpp runs ONNX models, so convert the weights with bioimageio.core first");
        if (onnx.Find("external_data") is not null)
        {
            throw new InvalidDataException("weights.onnx keeps its weights in an external data file, which unetpp does not read; save the ONNX model as one file");
        }

        return new ModelDescription(
            root.Find("name")?.Text ?? "",
            version,
            input,
            output,
            onnx["source"].Text,
            ReadTolerance(root, output.Id));
    }

    private static RdfNode One(RdfNode root, string key)
    {
        var items = root[key].Items;
        return items.Count == 1
            ? items[0]
            : throw new InvalidDataException($"the model has {items.Count} {key}; unetpp runs models with one image input and one output");
    }

    private static TensorDescription Read(RdfNode tensor, string steps)
    {
        var axes = tensor["axes"].Items;
        var letters = new char[axes.Count];
        var channelNames = new List<string>();
        AxisSizes? height = null, width = null;
        var halo = 0;
        for (var k = 0; k < axes.Count; k++)
        {
            var axis = axes[k];
            var kind = axis["type"].Text;
            letters[k] = kind == "space"
                ? (axis.Find("id")?.Text ?? "x") is [var letter] && letter is 'x' or 'y' or 'z' ? letter
                    : throw axis["id"].Wrong("x, y or z, the space axes unetpp knows")
                : AxisLetters.TryGetValue(kind, out var other) ? other : throw axis["type"].Wrong("batch, channel, space, time or index");
            if (kind == "channel")
            {
                channelNames.AddRange(axis["channel_names"].Items.Select(n => n.Text));
            }

            if (letters[k] is 'y' or 'x')
            {
                var sizes = Sizes(axis.Find("size"));
                halo = Math.Max(halo, axis.Find("halo")?.Integer ?? 0);
                (height, width) = letters[k] == 'y' ? (sizes, width) : (height, sizes);
            }
        }

        var data = tensor.Find("data") is { } d ? (d.IsSequence ? d.Items[0] : d) : null;
        var range = data?.Find("range")?.Items;
        return new TensorDescription(
            tensor.Find("id")?.Text ?? (steps == "preprocessing" ? "input" : "output"),
            new string(letters),
            channelNames,
            data?.Find("type")?.Text ?? "float32",
            range?[0].Number,
            range?[1].Number,
            Steps(tensor, steps, "id"),
            tensor.Find("test_tensor")?["source"].Text,
            height,
            width,
            halo);
    }

    private static TensorDescription ReadLegacy(RdfNode tensor, string steps, RdfNode root, string tests)
    {
        var axes = tensor["axes"].Text;
        var shape = tensor.Find("shape");
        AxisSizes? Size(char axis)
        {
            var k = axes.IndexOf(axis, StringComparison.Ordinal);
            return k < 0 || shape is null ? null
                : shape.IsSequence ? new AxisSizes(shape.Items[k].Integer, 0)
                : shape.Find("min") is { } min && shape.Find("step") is { } step ? new AxisSizes(min.Items[k].Integer, step.Items[k].Integer)
                : null;
        }

        var halo = tensor.Find("halo")?.Items.Select((h, k) => axes[k] is 'y' or 'x' ? h.Integer : 0).Max() ?? 0;
        var range = tensor.Find("data_range")?.Items;
        return new TensorDescription(
            tensor["name"].Text,
            axes,
            [],
            tensor.Find("data_type")?.Text ?? "float32",
            range?[0].Number,
            range?[1].Number,
            Steps(tensor, steps, "name"),
            root.Find(tests)?.Items is [var first, ..] ? first.Text : null,
            Size('y'),
            Size('x'),
            halo);
    }

    private static List<ProcessingStep> Steps(RdfNode tensor, string key, string nameKey) =>
        tensor.Find(key) is { } steps
            ? [.. steps.Items.Select(s => new ProcessingStep(StepName(s[nameKey].Text, s.Find("kwargs"), nameKey), s.Find("kwargs"), s.Where))]
            : [];

    /// <summary>0.4's <c>zero_mean_unit_variance</c> is fixed unless its mode says otherwise; 0.5 gave that form its own name.</summary>
    private static string StepName(string name, RdfNode? arguments, string nameKey) =>
        nameKey == "name" && name == "zero_mean_unit_variance" && (arguments?.Find("mode")?.Text ?? "fixed") == "fixed"
            ? "fixed_zero_mean_unit_variance"
            : name;

    /// <summary>A fixed size or a <c>min</c>/<c>step</c> series; a size given by another tensor says nothing of its own.</summary>
    private static AxisSizes? Sizes(RdfNode? size) =>
        size is null ? null
        : !size.IsMapping ? new AxisSizes(size.Integer, 0)
        : size.Find("min") is { } min && size.Find("step") is { } step ? new AxisSizes(min.Integer, step.Integer)
        : null;

    /// <summary>
    /// The first 0.5 <c>reproducibility_tolerance</c> that applies to ONNX weights and this output; else the
    /// older <c>test_kwargs</c> for ONNX; else the zoo's default.
    /// </summary>
    private static TestTolerance ReadTolerance(RdfNode root, string output)
    {
        var config = root.Find("config")?.Find("bioimageio");
        bool Applies(RdfNode entry, string key, string value) =>
            entry.Find(key) is not { } list || list.Items.Count == 0 || list.Items.Any(i => i.Text == value);
        var entry = config?.Find("reproducibility_tolerance")?.Items
            .FirstOrDefault(e => Applies(e, "weights_formats", "onnx") && Applies(e, "output_ids", output));
        if (entry is not null)
        {
            return new TestTolerance(
                entry.Find("relative_tolerance")?.Number ?? 1e-3,
                entry.Find("absolute_tolerance")?.Number ?? 1e-3,
                entry.Find("mismatched_elements_per_million")?.Number ?? 100);
        }

        if (config?.Find("test_kwargs")?.Find("onnx") is { } kwargs)
        {
            var defaults = TestTolerance.Default;
            return kwargs.Find("decimal") is { } decimals
                ? new TestTolerance(0, 1.5 * Math.Pow(10, -decimals.Number), 0)
                : new TestTolerance(
                    kwargs.Find("relative_tolerance")?.Number ?? defaults.Relative,
                    kwargs.Find("absolute_tolerance")?.Number ?? defaults.Absolute,
                    0);
        }

        return TestTolerance.Default;
    }

    private static IEnumerable<string> Keys(RdfNode mapping) => OtherWeights.Where(k => mapping.Find(k) is not null);
}
