namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// The architecture as data: which nodes exist, what each takes, which tensors each owns. Shared by the
/// weights, the graph builder and the figures so the three cannot drift apart.
/// </summary>
internal static class NestedUNetLayout
{
    /// <summary>The deepest node index: nodes x{i}_{j} exist for i + j ≤ Depth.</summary>
    public const int Depth = NestedUNetOptions.Levels - 1;

    /// <summary>
    /// Nodes in PyTorch module order (column by column: conv0_0 … conv4_0, conv0_1 … conv3_1, …), which is
    /// also an order in which every node's inputs are computed before it.
    /// </summary>
    public static IEnumerable<(int I, int J)> Nodes(int level = Depth)
    {
        for (var j = 0; j <= level; j++)
        {
            for (var i = 0; i + j <= level; i++)
            {
                yield return (i, j);
            }
        }
    }

    public static string Module(int i, int j) => $"conv{i}_{j}";

    /// <summary>Input channels of node x{i}_{j}: the level above (or the image), or the dense skips plus one upsampled map.</summary>
    public static int InChannels(NestedUNetOptions options, int i, int j) =>
        j == 0
            ? (i == 0 ? options.InChannels : options.Filters[i - 1])
            : (j * options.Filters[i]) + options.Filters[i + 1];

    /// <summary>Every tensor of the state dict in module order, with its shape (num_batches_tracked left out).</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Tensors(NestedUNetOptions options)
    {
        var tensors = new List<(string, int[])>();
        foreach (var (i, j) in Nodes())
        {
            var module = Module(i, j);
            var width = options.Filters[i];
            var inputs = InChannels(options, i, j);
            for (var k = 1; k <= 2; k++)
            {
                tensors.Add(($"{module}.conv{k}.weight", [width, k == 1 ? inputs : width, 3, 3]));
                tensors.Add(($"{module}.conv{k}.bias", [width]));
                tensors.Add(($"{module}.bn{k}.weight", [width]));
                tensors.Add(($"{module}.bn{k}.bias", [width]));
                tensors.Add(($"{module}.bn{k}.running_mean", [width]));
                tensors.Add(($"{module}.bn{k}.running_var", [width]));
            }
        }

        foreach (var head in HeadNames(options.DeepSupervision))
        {
            tensors.Add(($"{head}.weight", [options.Classes, options.Filters[0], 1, 1]));
            tensors.Add(($"{head}.bias", [options.Classes]));
        }

        return tensors;
    }

    public static IReadOnlyList<string> HeadNames(bool deepSupervision) =>
        deepSupervision ? ["final1", "final2", "final3", "final4"] : ["final"];

    /// <summary>PyTorch's <c>Module.parameters()</c> count: convolutions and batch-norm affine terms, not running statistics.</summary>
    public static long Parameters(NestedUNetOptions options, int level, int heads)
    {
        long total = 0;
        foreach (var (i, j) in Nodes(level))
        {
            long width = options.Filters[i];
            long inputs = InChannels(options, i, j);
            total += (inputs * width * 9) + width + (2 * width);
            total += (width * width * 9) + width + (2 * width);
        }

        return total + (heads * (((long)options.Classes * options.Filters[0]) + options.Classes));
    }

    /// <summary>
    /// Convolution multiply-accumulates (Cout·Hout·Wout·Cin·kH·kW) for one image; level i runs at the size
    /// that i floor-halvings leave, exactly as MaxPool2d(2, 2) does.
    /// </summary>
    public static long MultiplyAccumulates(NestedUNetOptions options, int level, int heads, int height, int width)
    {
        long total = 0;
        foreach (var (i, j) in Nodes(level))
        {
            long pixels = (long)(height >> i) * (width >> i);
            long filters = options.Filters[i];
            long inputs = InChannels(options, i, j);
            total += pixels * filters * 9 * (inputs + filters);
        }

        return total + (heads * (long)height * width * options.Classes * options.Filters[0]);
    }
}
