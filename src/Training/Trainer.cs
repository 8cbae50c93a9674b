using System.Diagnostics;
using System.Globalization;
using UNetPP.Cluster.Segmentation;
using UNetPP.Cluster.Segmentation.Model;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Training;

/// <summary>One epoch's numbers, as the seed logs them (IoU on the last head, threshold 0.5, smooth 1e-5).</summary>
public sealed record EpochResult(
    int Epoch, double LearningRate, double Loss, double Iou, double ValidationLoss, double ValidationIou, double ValidationDice, TimeSpan Elapsed, bool Best);

/// <summary>What a training run left in its output folder.</summary>
public sealed record TrainingResult(
    string WeightsPath, string ModelPath, string LogPath, string PlotPath, EpochResult Best, IReadOnlyList<EpochResult> Epochs, IReadOnlyList<string> ValidationImages);

/// <summary>
/// Trains the seed's NestedUNet with the seed's recipe: loss 0.5·BCE-with-logits + (1 − soft Dice),
/// averaged over the four heads with deep supervision; Adam with a cosine schedule; random crops with
/// flips and quarter turns (the seed's RandomRotate90 and Flip), with random intensities when asked
/// (<see cref="IntensityAugmentation"/>), normalised as the model card will say; a held-out validation
/// split scored on whole images; the epoch with the best validation IoU is the one kept and exported.
/// </summary>
public sealed class Trainer(TrainingOptions options)
{
    /// <summary>The seed's smoothing term in Dice and IoU.</summary>
    private const double Smooth = 1e-5;

    public const string WeightsFile = "weights.safetensors";
    public const string ModelFileName = "model.onnx";
    public const string LogFile = "log.csv";
    public const string PlotFile = "training.png";

    public TrainingResult Train(IReadOnlyList<TrainingExample> examples, string output, IProgress<EpochResult>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        if (examples.Count < 2)
        {
            throw new ArgumentException($"{examples.Count} image(s): training needs at least two, one of them held out for validation.", nameof(examples));
        }

        var channels = options.Network.InChannels;
        if (examples.FirstOrDefault(e => e.Image.Channels != channels) is { } odd)
        {
            throw new ArgumentException($"{odd.Name} has {odd.Image.Channels} channels but the network takes {channels}.", nameof(examples));
        }

        Directory.CreateDirectory(output);
        if (options.Threads > 0)
        {
            set_num_threads(options.Threads);
        }

        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, examples.Count).OrderBy(_ => random.Next()).ToArray();
        var held = Math.Clamp((int)Math.Round(examples.Count * options.ValidationFraction, MidpointRounding.AwayFromZero), 1, examples.Count - 1);
        var validation = order.Take(held).Order().Select(i => examples[i]).ToList();
        var training = order.Skip(held).Order().Select(i => examples[i]).ToList();

        var input = new TrainingInput(options.InputNormalization, options.AugmentsIntensity);
        using var model = NestedUNet.FromWeights(NestedUNetWeights.CreateInitial(options.Network, options.Seed));
        using var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate, weight_decay: options.WeightDecay);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs, options.MinLearningRate);

        var log = Path.Combine(output, LogFile);
        var weights = Path.Combine(output, WeightsFile);
        var validationInputs = validation.Select(v => new TrainingInput(options.InputNormalization, augment: false).Prepare(v.Image, random)).ToList();
        File.WriteAllText(log, "epoch,lr,loss,iou,val_loss,val_iou,val_dice,seconds\n");
        var epochs = new List<EpochResult>();
        EpochResult? best = null;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var rate = optimizer.ParamGroups.First().LearningRate;
            var (loss, iou) = TrainEpoch(model, optimizer, training, input, random, cancellationToken);
            var (validationLoss, validationIou, validationDice) = Validate(model, validation, validationInputs);
            schedule.step();

            var improved = best is null || validationIou > best.ValidationIou;
            var result = new EpochResult(epoch, rate, loss, iou, validationLoss, validationIou, validationDice, clock.Elapsed, improved);
            if (improved)
            {
                model.ToWeights().SaveSafetensors(weights);
                best = result;
            }

            epochs.Add(result);
            File.AppendAllText(log, string.Create(CultureInfo.InvariantCulture,
                $"{epoch},{rate:G6},{loss:F6},{iou:F6},{validationLoss:F6},{validationIou:F6},{validationDice:F6},{clock.Elapsed.TotalSeconds:F1}\n"));
            progress?.Report(result);
        }

        var modelPath = Path.Combine(output, ModelFileName);
        var kept = NestedUNetWeights.LoadSafetensors(weights, options.Network);
        var card = ModelCard.ForNestedUNet(options.Network) with { TileSize = options.TileSize, Normalization = options.InputNormalization };
        ModelFile.Save(NestedUNetBuilder.Build(options.Network, kept, card), modelPath);
        var plot = Path.Combine(output, PlotFile);
        AtomicFile.Write(plot, TrainingPlot.Render(epochs));
        return new TrainingResult(weights, modelPath, log, plot, best!, epochs, [.. validation.Select(v => v.Name)]);
    }

    private (double Loss, double Iou) TrainEpoch(NestedUNet model, optim.Optimizer optimizer, List<TrainingExample> training, TrainingInput input, Random random, CancellationToken cancellationToken)
    {
        model.train();
        var crops = Enumerable.Range(0, training.Count * options.CropsPerImage).Select(i => training[i % training.Count]).OrderBy(_ => random.Next()).ToList();
        double lossSum = 0, iouSum = 0;
        var batches = 0;
        var size = options.Size;
        var channels = options.Network.InChannels;
        for (var first = 0; first < crops.Count; first += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(options.BatchSize, crops.Count - first);
            var inputs = new float[count * channels * size * size];
            var targets = new float[count * size * size];
            for (var b = 0; b < count; b++)
            {
                Crop(crops[first + b], input, random, inputs.AsSpan(b * channels * size * size, channels * size * size), targets.AsSpan(b * size * size, size * size));
            }

            using var scope = NewDisposeScope();
            var x = tensor(inputs, [count, channels, size, size]);
            var y = tensor(targets, [count, 1, size, size]);
            var heads = model.call(x);
            var loss = stack([.. heads.Select(h => Loss(h, y))]).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>();
            iouSum += Iou(heads[^1], y);
            batches++;
        }

        return (lossSum / batches, iouSum / batches);
    }

    /// <summary>Loss and scores of every held-out image, whole and as it is (no augmentation), in evaluation mode; IoU and Dice on the last head.</summary>
    private static (double Loss, double Iou, double Dice) Validate(NestedUNet model, List<TrainingExample> validation, List<float[]> inputs)
    {
        model.eval();
        using var noGrad = no_grad();
        double loss = 0, iou = 0, dice = 0;
        foreach (var (example, input) in validation.Zip(inputs))
        {
            using var scope = NewDisposeScope();
            var image = example.Image;
            var x = tensor(input, [1, image.Channels, image.Height, image.Width]);
            var y = tensor(example.Mask, [1, 1, image.Height, image.Width]);
            var heads = model.call(x);
            loss += stack([.. heads.Select(h => Loss(h, y))]).mean().item<float>();
            iou += Iou(heads[^1], y);
            dice += Dice(heads[^1], y);
        }

        return (loss / validation.Count, iou / validation.Count, dice / validation.Count);
    }

    /// <summary>The seed's BCEDiceLoss: 0.5 · BCE-with-logits + (1 − soft Dice), Dice per sample then averaged.</summary>
    private static Tensor Loss(Tensor logits, Tensor target)
    {
        var bce = nn.functional.binary_cross_entropy_with_logits(logits, target);
        var n = logits.shape[0];
        var p = logits.sigmoid().view(n, -1);
        var t = target.view(n, -1);
        var dice = ((2 * (p * t).sum(1)) + Smooth) / (p.sum(1) + t.sum(1) + Smooth);
        return (0.5 * bce) + (1 - (dice.sum() / n));
    }

    /// <summary>The seed's iou_score: sigmoid(output) &gt; 0.5 against target &gt; 0.5, over the whole batch.</summary>
    private static double Iou(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var p = logits.sigmoid() > 0.5;
        var t = target > 0.5;
        var intersection = (p & t).sum().item<long>();
        var union = (p | t).sum().item<long>();
        return (intersection + Smooth) / (union + Smooth);
    }

    /// <summary>The seed's dice_coef on thresholded predictions.</summary>
    private static double Dice(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var p = logits.sigmoid() > 0.5;
        var t = target > 0.5;
        var intersection = (p & t).sum().item<long>();
        return ((2.0 * intersection) + Smooth) / (p.sum().item<long>() + t.sum().item<long>() + Smooth);
    }

    /// <summary>
    /// A random square crop (zero-padded where the image is smaller), flipped and turned at random, of the
    /// image as <paramref name="preparation"/> makes it, into planar <paramref name="input"/> [C, S, S] and
    /// <paramref name="target"/> [S, S].
    /// </summary>
    private void Crop(TrainingExample example, TrainingInput preparation, Random random, Span<float> input, Span<float> target)
    {
        var image = example.Image;
        var size = options.Size;
        var left = random.Next(Math.Max(1, image.Width - size + 1));
        var top = random.Next(Math.Max(1, image.Height - size + 1));
        var flipX = random.Next(2) == 1;
        var flipY = random.Next(2) == 1;
        var transpose = random.Next(2) == 1;
        var prepared = preparation.Prepare(image, random);
        input.Clear();
        target.Clear();
        for (var r = 0; r < size; r++)
        {
            for (var c = 0; c < size; c++)
            {
                // Flips and a transpose together make all eight turns and mirrors of the square.
                var (u, v) = transpose ? (c, r) : (r, c);
                u = flipY ? size - 1 - u : u;
                v = flipX ? size - 1 - v : v;
                var y = top + u;
                var x = left + v;
                if (y >= image.Height || x >= image.Width)
                {
                    continue;
                }

                var source = (y * image.Width) + x;
                var destination = (r * size) + c;
                target[destination] = example.Mask[source];
                for (var ch = 0; ch < image.Channels; ch++)
                {
                    input[(ch * size * size) + destination] = prepared[(ch * image.Height * image.Width) + source];
                }
            }
        }
    }
}
