namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The named tensors of a NestedUNet, keyed exactly as the PyTorch state dict (<c>conv0_0.conv1.weight</c>,
/// <c>conv0_0.bn1.running_var</c>, <c>final1.bias</c>, …) so a checkpoint trained with the article's code
/// maps one to one.
/// </summary>
public sealed class NestedUNetWeights
{
    private const string BatchCounterSuffix = ".num_batches_tracked";

    private const string DataParallelPrefix = "module.";

    private readonly Dictionary<string, (int[] Shape, float[] Values)> tensors;

    private NestedUNetWeights(NestedUNetOptions options, IReadOnlyList<string> names, Dictionary<string, (int[], float[])> tensors)
    {
        Options = options;
        Names = names;
        this.tensors = tensors;
    }

    public NestedUNetOptions Options { get; }

    /// <summary>Tensor names in state-dict order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The shape of tensor <paramref name="name"/>.</summary>
    public IReadOnlyList<int> ShapeOf(string name) => Get(name).Shape;

    /// <summary>The values of tensor <paramref name="name"/>, row-major; the array is live, so writing to it changes the weights.</summary>
    public float[] Values(string name) => Get(name).Values;

    /// <summary>
    /// PyTorch's default initialisation, made reproducible: convolution weights and biases uniform in
    /// ±1/√fan_in (what kaiming_uniform with a = √5 reduces to), batch norm as identity (γ 1, β 0, mean 0, var 1).
    /// </summary>
    public static NestedUNetWeights CreateInitial(NestedUNetOptions options, int seed)
    {
        var random = new SeededRandom(seed);
        var fanIn = 0;
        return Create(options, (name, shape) =>
        {
            var values = new float[shape.Aggregate(1, (a, b) => a * b)];
            if (shape.Count == 4)
            {
                fanIn = shape[1] * shape[2] * shape[3];
            }

            if (IsConvolution(name))
            {
                // A bias follows its weight in the layout, so fanIn is that weight's.
                var bound = 1f / MathF.Sqrt(fanIn);
                for (var k = 0; k < values.Length; k++)
                {
                    values[k] = random.NextSymmetric(bound);
                }
            }
            else if (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal))
            {
                Array.Fill(values, 1f);
            }

            return values;
        });
    }

    /// <summary>
    /// Weights read from another holder of named tensors, such as a training module's state:
    /// <paramref name="read"/> is asked for every tensor of the architecture, in state-dict order, by name and
    /// shape, and the array it returns is kept, not copied.
    /// </summary>
    public static NestedUNetWeights Create(NestedUNetOptions options, Func<string, IReadOnlyList<int>, float[]> read)
    {
        options.Validate();
        var layout = NestedUNetLayout.Tensors(options);
        var tensors = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var (name, shape) in layout)
        {
            var values = read(name, shape);
            var count = shape.Aggregate(1, (a, b) => a * b);
            if (values.Length != count)
            {
                throw new ArgumentException(
                    $"Tensor {name} has {values.Length} values, but its shape [{string.Join(", ", shape)}] holds {count}.",
                    nameof(read));
            }

            tensors[name] = (shape, values);
        }

        return new NestedUNetWeights(options, [.. layout.Select(t => t.Name)], tensors);
    }

    /// <summary>
    /// The options a state dict was trained with, read from its tensor shapes: filters from each level's first
    /// convolution, input channels from the first one, heads and classes from <c>final</c> or <c>final1..final4</c>.
    /// What the file does not say keeps <paramref name="fallback"/>'s value, and loading then names what is missing.
    /// </summary>
    public static NestedUNetOptions ReadOptions(string path, NestedUNetOptions fallback)
    {
        var shapes = Named(SafetensorsFile.Read(path)).ToDictionary(e => e.Name, e => e.Entry.Shape, StringComparer.Ordinal);
        long? Axis(string name, int axis) =>
            shapes.TryGetValue(name, out var shape) && shape.Length > axis ? shape[axis] : null;

        var filters = Enumerable.Range(0, NestedUNetOptions.Levels)
            .Select(i => Axis($"{NestedUNetLayout.Module(i, 0)}.conv1.weight", 0))
            .ToList();
        var deepSupervision = shapes.ContainsKey("final1.weight") || (!shapes.ContainsKey("final.weight") && fallback.DeepSupervision);
        var head = NestedUNetLayout.HeadNames(deepSupervision)[0];
        return new NestedUNetOptions
        {
            Filters = filters.All(f => f is > 0) ? [.. filters.Select(f => (int)f!.Value)] : fallback.Filters,
            InChannels = (int)(Axis($"{NestedUNetLayout.Module(0, 0)}.conv1.weight", 1) ?? fallback.InChannels),
            Classes = (int)(Axis($"{head}.weight", 0) ?? fallback.Classes),
            DeepSupervision = deepSupervision,
        };
    }

    /// <summary>
    /// Reads a state dict saved as safetensors; every tensor the architecture needs must be there with the right
    /// shape, and nothing else (batch-norm's <c>num_batches_tracked</c> is training bookkeeping and is skipped).
    /// A checkpoint saved from <c>nn.DataParallel</c> has every name under <c>module.</c>, which is taken off.
    /// </summary>
    public static NestedUNetWeights LoadSafetensors(string path, NestedUNetOptions options)
    {
        options.Validate();
        var file = SafetensorsFile.Read(path);
        var layout = NestedUNetLayout.Tensors(options);
        var expected = layout.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var found = new Dictionary<string, SafetensorsFile.Entry>(StringComparer.Ordinal);
        var misShaped = new List<string>();
        var unexpected = new List<string>();
        foreach (var (name, entry) in Named(file))
        {
            if (expected.TryGetValue(name, out var shape))
            {
                found[name] = entry;
                if (!entry.Shape.SequenceEqual(shape.Select(d => (long)d)))
                {
                    misShaped.Add($"{name} is {SafetensorsFile.Format(entry.Shape)}, not {SafetensorsFile.Format(shape.Select(d => (long)d))}");
                }
            }
            else if (!name.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            {
                unexpected.Add(name);
            }
        }

        var missing = layout.Where(t => !found.ContainsKey(t.Name)).Select(t => t.Name).ToList();
        if (missing.Count + misShaped.Count + unexpected.Count > 0)
        {
            var lines = new List<string>();
            if (missing.Count > 0)
            {
                lines.Add($"missing {Count(missing.Count, "tensor")}: {string.Join(", ", missing)}");
            }

            if (misShaped.Count > 0)
            {
                lines.Add($"{Count(misShaped.Count, "tensor")} of the wrong shape: {string.Join("; ", misShaped)}");
            }

            if (unexpected.Count > 0)
            {
                lines.Add($"{Count(unexpected.Count, "tensor")} not part of this architecture: {string.Join(", ", unexpected)}");
            }

            lines.AddRange(Hints(options, ReadOptions(path, options), unexpected));
            throw ModelException.For(path, $"the weights do not fit {Describe(options)}:\n  {string.Join("\n  ", lines)}");
        }

        return Create(options, (name, _) => file.ReadFloats(found[name]));
    }

    /// <summary>Writes the tensors as F32 safetensors, atomically.</summary>
    public void SaveSafetensors(string path) =>
        SafetensorsFile.Write(path, Names.Select(n => (n, (IReadOnlyList<int>)tensors[n].Shape, tensors[n].Values)));

    /// <summary>The file's tensors under their module names, without a <c>module.</c> prefix that every name shares.</summary>
    private static IEnumerable<(string Name, SafetensorsFile.Entry Entry)> Named(SafetensorsFile file)
    {
        var wrapped = file.Entries.Count > 0 && file.Entries.All(e => e.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal));
        return file.Entries.Select(e => (wrapped ? e.Name[DataParallelPrefix.Length..] : e.Name, e));
    }

    /// <summary>What usually causes a mismatch, said in the options that fix it.</summary>
    private static IEnumerable<string> Hints(NestedUNetOptions wanted, NestedUNetOptions found, IReadOnlyList<string> unexpected)
    {
        if (wanted.DeepSupervision != found.DeepSupervision)
        {
            yield return found.DeepSupervision
                ? "hint: the weights have four heads (final1..final4): build with --deep-supervision, or leave it out"
                : "hint: the weights have one head (final): build without --deep-supervision";
        }

        if (!wanted.Filters.SequenceEqual(found.Filters))
        {
            yield return $"hint: the weights' filters are {string.Join(",", found.Filters)}: build with --filters {string.Join(",", found.Filters)}, or leave it out";
        }

        if (wanted.InChannels != found.InChannels)
        {
            yield return $"hint: the weights take {found.InChannels} input channels: build with --in-channels {found.InChannels}, or leave it out";
        }

        if (wanted.Classes != found.Classes)
        {
            yield return $"hint: the weights give {found.Classes} classes: build with --classes {found.Classes}, or leave it out";
        }

        var names = NestedUNetLayout.Tensors(wanted).Select(t => "." + t.Name).ToList();
        var prefix = unexpected
            .Select(n => names.FirstOrDefault(k => n.EndsWith(k, StringComparison.Ordinal)) is { } known ? n[..^(known.Length - 1)] : null)
            .FirstOrDefault(p => p is not null);
        if (prefix is not null)
        {
            yield return $"hint: the names start with '{prefix}': save the state dict of the NestedUNet itself, without the module that wraps it (see docs/models.md)";
        }
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static bool IsConvolution(string name) =>
        name.Contains(".conv", StringComparison.Ordinal) || name.StartsWith("final", StringComparison.Ordinal);

    private static string Describe(NestedUNetOptions options) =>
        $"NestedUNet(filters {string.Join(",", options.Filters)}, in {options.InChannels}, classes {options.Classes}, deep supervision {(options.DeepSupervision ? "on" : "off")})";

    private (int[] Shape, float[] Values) Get(string name) =>
        tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"NestedUNet has no tensor '{name}'.");
}
