namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The named tensors of a NestedUNet, keyed exactly as the PyTorch state dict (<c>conv0_0.conv1.weight</c>,
/// <c>conv0_0.bn1.running_var</c>, <c>final1.bias</c>, …) so a checkpoint trained with the article's code
/// maps one to one.
/// </summary>
public sealed class NestedUNetWeights
{
    private const string BatchCounterSuffix = ".num_batches_tracked";

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
    /// Reads a state dict saved as safetensors; every tensor the architecture needs must be there with the right
    /// shape, and nothing else (batch-norm's <c>num_batches_tracked</c> is training bookkeeping and is skipped).
    /// </summary>
    public static NestedUNetWeights LoadSafetensors(string path, NestedUNetOptions options)
    {
        options.Validate();
        var file = SafetensorsFile.Read(path);
        var layout = NestedUNetLayout.Tensors(options);
        var expected = layout.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var found = new Dictionary<string, SafetensorsFile.Entry>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var entry in file.Entries)
        {
            if (expected.TryGetValue(entry.Name, out var shape))
            {
                found[entry.Name] = entry;
                if (!entry.Shape.SequenceEqual(shape.Select(d => (long)d)))
                {
                    problems.Add($"{entry.Name} has shape {SafetensorsFile.Format(entry.Shape)} but the model needs {SafetensorsFile.Format(shape.Select(d => (long)d))}");
                }
            }
            else if (!entry.Name.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            {
                problems.Add($"unexpected tensor {entry.Name} (not part of this architecture)");
            }
        }

        problems.AddRange(layout.Where(t => !found.ContainsKey(t.Name)).Select(t => $"missing tensor {t.Name}"));
        if (problems.Count > 0)
        {
            const int Shown = 5;
            var more = problems.Count > Shown ? $"; and {problems.Count - Shown} more problems" : "";
            throw ModelException.For(
                path,
                $"the weights do not fit {Describe(options)}: {string.Join("; ", problems.Take(Shown))}{more}");
        }

        return Create(options, (name, _) => file.ReadFloats(found[name]));
    }

    /// <summary>Writes the tensors as F32 safetensors, atomically.</summary>
    public void SaveSafetensors(string path) =>
        SafetensorsFile.Write(path, Names.Select(n => (n, (IReadOnlyList<int>)tensors[n].Shape, tensors[n].Values)));

    private static bool IsConvolution(string name) =>
        name.Contains(".conv", StringComparison.Ordinal) || name.StartsWith("final", StringComparison.Ordinal);

    private static string Describe(NestedUNetOptions options) =>
        $"NestedUNet(filters {string.Join(",", options.Filters)}, in {options.InChannels}, classes {options.Classes}, deep supervision {(options.DeepSupervision ? "on" : "off")})";

    private (int[] Shape, float[] Values) Get(string name) =>
        tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"NestedUNet has no tensor '{name}'.");
}
