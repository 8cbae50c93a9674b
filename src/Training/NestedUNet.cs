using TorchSharp.Modules;
using UNetPP.Cluster.Segmentation.Model;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Training;

/// <summary>
/// The seed's NestedUNet (UNet++) as a TorchSharp module, for training. Its modules carry the seed's names
/// (<c>conv0_0</c> … <c>conv0_4</c>, <c>final1</c>…<c>final4</c> or <c>final</c>), so its state is the seed's
/// state dict and converts one to one to <see cref="NestedUNetWeights"/>, which
/// <see cref="NestedUNetBuilder"/> turns into the ONNX graph the engine runs.
/// </summary>
public sealed class NestedUNet : nn.Module<Tensor, IReadOnlyList<Tensor>>
{
    private const int Depth = NestedUNetOptions.Levels - 1;

    // Batch norm's count of training steps: PyTorch bookkeeping that inference never reads.
    private const string BatchCounterSuffix = ".num_batches_tracked";

    private readonly VggBlock[,] blocks = new VggBlock[NestedUNetOptions.Levels, NestedUNetOptions.Levels];
    private readonly Conv2d[] heads;

    public NestedUNet(NestedUNetOptions options)
        : base(nameof(NestedUNet))
    {
        options.Validate();
        Options = options;
        var filters = options.Filters;

        // Column by column (conv0_0 … conv4_0, conv0_1 … conv3_1, …), the seed's order of definition.
        for (var j = 0; j <= Depth; j++)
        {
            for (var i = 0; i + j <= Depth; i++)
            {
                long inputs = j == 0
                    ? (i == 0 ? options.InChannels : filters[i - 1])
                    : (j * filters[i]) + filters[i + 1];
                blocks[i, j] = new VggBlock(inputs, filters[i], filters[i]);
                register_module($"conv{i}_{j}", blocks[i, j]);
            }
        }

        var names = NestedUNetBuilder.HeadNames(options.DeepSupervision);
        heads = [.. names.Select(_ => nn.Conv2d(filters[0], options.Classes, kernel_size: 1))];
        for (var k = 0; k < heads.Length; k++)
        {
            register_module(names[k], heads[k]);
        }
    }

    public NestedUNetOptions Options { get; }

    /// <summary>A module holding <paramref name="weights"/>, in training mode as a new PyTorch module is.</summary>
    public static NestedUNet FromWeights(NestedUNetWeights weights)
    {
        var module = new NestedUNet(weights.Options);
        try
        {
            module.LoadWeights(weights);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every head's logits, [N, classes, H, W], in the order <c>final1</c>…<c>final4</c> (or the one <c>final</c>).
    /// The caller owns them; everything computed on the way is disposed here.
    /// </summary>
    public override IReadOnlyList<Tensor> forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = new Tensor[NestedUNetOptions.Levels, NestedUNetOptions.Levels];
        for (var i = 0; i <= Depth; i++)
        {
            x[i, 0] = blocks[i, 0].call(i == 0 ? input : nn.functional.max_pool2d(x[i - 1, 0], kernel_size: 2, stride: 2));
        }

        for (var j = 1; j <= Depth; j++)
        {
            for (var i = 0; i + j <= Depth; i++)
            {
                var skips = Enumerable.Range(0, j).Select(k => x[i, k]).Append(Up(x[i + 1, j - 1], x[i, 0]));
                x[i, j] = blocks[i, j].call(cat([.. skips], dim: 1));
            }
        }

        // With one head it sits on the deepest x0 node, as the seed's `final` does.
        Tensor[] logits = Options.DeepSupervision
            ? [.. heads.Select((head, k) => head.call(x[0, k + 1]))]
            : [heads[0].call(x[0, Depth])];
        scope.MoveToOuter(logits);
        return logits;
    }

    /// <summary>Copies <paramref name="weights"/> into this module's parameters and batch-norm statistics.</summary>
    /// <exception cref="ArgumentException">The weights are for another architecture; the message names the tensors that differ.</exception>
    public void LoadWeights(NestedUNetWeights weights)
    {
        const int Shown = 5;
        var state = State();
        var problems = new List<string>();
        foreach (var name in weights.Names)
        {
            var shape = weights.ShapeOf(name).Select(d => (long)d).ToArray();
            if (!state.TryGetValue(name, out var tensor))
            {
                problems.Add($"{name} is not part of this module");
            }
            else if (!tensor.shape.SequenceEqual(shape))
            {
                problems.Add($"{name} is [{string.Join(", ", shape)}] in the weights but [{string.Join(", ", tensor.shape)}] here");
            }
        }

        problems.AddRange(state.Keys.Except(weights.Names).Select(name => $"{name} is missing from the weights"));
        if (problems.Count > 0)
        {
            var more = problems.Count > Shown ? $"; and {problems.Count - Shown} more" : "";
            throw new ArgumentException(
                $"The weights do not fit this NestedUNet: {string.Join("; ", problems.Take(Shown))}{more}.", nameof(weights));
        }

        using var noGrad = no_grad();
        foreach (var name in weights.Names)
        {
            var target = state[name];
            using var source = tensor(weights.Values(name), target.shape);
            target.copy_(source);
        }
    }

    /// <summary>This module's parameters and batch-norm statistics under the seed's names, copied to the CPU.</summary>
    public NestedUNetWeights ToWeights()
    {
        var state = State();
        return NestedUNetWeights.Create(Options, (name, _) =>
        {
            using var scope = NewDisposeScope();
            return state[name].detach().cpu().contiguous().data<float>().ToArray();
        });
    }

    /// <summary>The state dict without batch norm's step counters, keyed as PyTorch keys it.</summary>
    private Dictionary<string, Tensor> State() =>
        state_dict()
            .Where(entry => !entry.Key.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            .ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);

    /// <summary>
    /// The seed's Up: bilinear ×2 with align_corners, then zero padding up to the skip's H × W, split as
    /// [d // 2, d − d // 2] (floor pooling makes d 0 or 1, which is what lets any size through).
    /// </summary>
    private static Tensor Up(Tensor source, Tensor skip)
    {
        var up = nn.functional.interpolate(source, scale_factor: [2, 2], mode: InterpolationMode.Bilinear, align_corners: true);
        var dy = skip.shape[2] - up.shape[2];
        var dx = skip.shape[3] - up.shape[3];
        return nn.functional.pad(up, [dx / 2, dx - (dx / 2), dy / 2, dy - (dy / 2)]);
    }
}
