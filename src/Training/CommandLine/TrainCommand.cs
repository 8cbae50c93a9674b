using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spectre.Console;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>
/// <c>unetpp-train</c>: trains the seed's NestedUNet on a folder of images/ and masks/ with the seed's
/// recipe, showing each epoch, and leaves the log, a plot, the weights (safetensors, seed names) and
/// the ONNX model with its card in the output folder.
/// </summary>
internal sealed class TrainCommand : RootCommand
{
    private static readonly TrainingOptions Defaults = new();

    private readonly Option<string> data = new("--data") { Description = "A folder, az://container/prefix or blob URL with images/ and masks/ holding files of the same names.", Required = true };
    private readonly Option<string> output = new("--out") { Description = "Where log.csv, training.png, weights.safetensors and model.onnx go.", Required = true };
    private readonly Option<int[]> filters = new("--filters")
    {
        Description = $"Channel width of each of the five levels (default {string.Join(",", Defaults.Network.Filters)}).",
        HelpName = "widths",
        CustomParser = FilterWidths.Parse,
        Arity = ArgumentArity.ExactlyOne,
    };

    private readonly Option<bool> deepSupervision = new("--deep-supervision")
    {
        Description = "Train the four heads the L1–L3 and accurate modes run (on by default, as in the article; --deep-supervision false trains one head, L4 only).",
        DefaultValueFactory = _ => true,
    };
    private readonly Option<int> epochs = new("--epochs") { Description = "Passes over the training images.", DefaultValueFactory = _ => Defaults.Epochs };
    private readonly Option<int> size = new("--size") { Description = "Side of the random crops trained on, a multiple of 16.", DefaultValueFactory = _ => Defaults.Size };
    private readonly Option<int> batch = new("--batch") { Description = "Crops per optimisation step.", DefaultValueFactory = _ => Defaults.BatchSize };
    private readonly Option<int> crops = new("--crops") { Description = "Random crops per training image per epoch.", DefaultValueFactory = _ => Defaults.CropsPerImage };
    private readonly Option<double> learningRate = new("--lr") { Description = "Adam's starting learning rate (cosine schedule down to 1e-5).", DefaultValueFactory = _ => Defaults.LearningRate };
    private readonly Option<double> validation = new("--validation") { Description = "Share of the images held out to choose the best epoch.", DefaultValueFactory = _ => Defaults.ValidationFraction };
    private readonly Option<int> seed = new("--seed") { Description = "Seeds weights, split, crops, flips and intensities: the same seed and data give the same model.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<int> threads = new("--threads") { Description = "CPU threads (default: all cores)." };
    private readonly BlobConnectionOption blobConnection = new();
    private readonly Option<int> tileSize = new("--tile-size") { Description = "Tile hint for inference, written into the model card.", DefaultValueFactory = _ => Defaults.TileSize };
    private readonly Option<string> normalize = new("--normalize")
    {
        Description = "How intensities become model input, in training and (written into the model card) at inference: fixed (ImageNet's mean and std after scaling by 255 or 65535), percentile[:low,high] (each image's own 1st and 99.8th percentiles per channel map to 0 and 1; for data of any bit depth) or zscore (each image's own mean and standard deviation).",
        DefaultValueFactory = _ => Defaults.Normalization.ToString(),
    };

    private readonly Option<bool?> augmentIntensity = new("--augment-intensity")
    {
        Description = "Give each crop a random exposure, gamma, background offset and bit depth (8, 12 or 16), so the model gives the same masks for the same scene stored either way (default: true with percentile or zscore, false with fixed, which cannot undo them).",
    };

    private readonly Option<double?> seamProbability = new("--seam-probability")
    {
        Description = "Train on labels/ (instance labels) instead of masks/: where two nuclei touch, the target is this probability (0.5 to 1, e.g. 0.7) rather than 1, so the seam stays in the mask but the probability dips there, which --instances cuts along.",
    };

    public TrainCommand(Terminal terminal)
        : base("Train a UNet++ (NestedUNet) on images/ and masks/ and export it as an ONNX model.")
    {
        foreach (var option in new Option[] { data, output, filters, deepSupervision, epochs, size, batch, crops, learningRate, validation, seed, threads, tileSize, normalize, augmentIntensity, seamProbability })
        {
            Options.Add(option);
        }

        blobConnection.AddTo(this);
        SetAction((parse, cancellationToken) => Task.Run(() => Run(parse, terminal, cancellationToken), cancellationToken));
    }

    private int Run(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var options = new TrainingOptions
        {
            Network = new NestedUNetOptions
            {
                Filters = parse.GetValue(filters) is { Length: > 0 } widths ? widths : Defaults.Network.Filters,
                DeepSupervision = parse.GetValue(deepSupervision),
            },
            Epochs = parse.GetValue(epochs),
            Size = parse.GetValue(size),
            BatchSize = parse.GetValue(batch),
            CropsPerImage = parse.GetValue(crops),
            LearningRate = parse.GetValue(learningRate),
            ValidationFraction = parse.GetValue(validation),
            Seed = parse.GetValue(seed),
            Threads = parse.GetValue(threads),
            TileSize = parse.GetValue(tileSize),
            Normalization = NormalizationChoice.Parse(parse.GetRequiredValue(normalize)),
            AugmentIntensity = parse.GetValue(augmentIntensity),
            SeamProbability = parse.GetValue(seamProbability),
        };
        options.Validate();
        var console = terminal.Human();
        var folder = parse.GetRequiredValue(data);
        var store = new ObjectStoreFactory(new StorageOptions { BlobConnection = blobConnection.Read(parse) }).Open(StorageLocation.Parse(folder));
        var examples = TrainingData.LoadAsync(store, folder, ModelCard.ForNestedUNet(options.Network).ToInputSpec(), options.SeamProbability, cancellationToken).GetAwaiter().GetResult();
        console.MarkupLineInterpolated($"Training on {examples.Count} image(s) from {folder}: {options.Epochs} epoch(s) of {options.CropsPerImage} {options.Size}×{options.Size} crop(s) per image, {options.Normalization} normalisation, intensity augmentation {(options.AugmentsIntensity ? "on" : "off")}.");

        var trainer = new Trainer(options);
        var target = parse.GetRequiredValue(output);
        TrainingResult result;
        if (terminal.Interactive)
        {
            result = null!;
            console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var bar = context.AddTask("epoch", maxValue: options.Epochs);
                    result = trainer.Train(examples, target, new EpochProgress(epoch =>
                    {
                        bar.Value = epoch.Epoch;
                        bar.Description = Describe(epoch);
                    }), cancellationToken);
                });
        }
        else
        {
            result = trainer.Train(examples, target, new EpochProgress(epoch => console.WriteLine(Describe(epoch))), cancellationToken);
        }

        var best = result.Best;
        console.WriteLine($"Best epoch {best.Epoch}: validation IoU {best.ValidationIou:F4}, Dice {best.ValidationDice:F4} on {result.ValidationImages.Count} held-out image(s).");
        console.WriteLine($"Wrote {Path.GetFullPath(result.ModelPath)}");
        console.WriteLine($"  weights {Path.GetFullPath(result.WeightsPath)}");
        console.WriteLine($"  log     {Path.GetFullPath(result.LogPath)}");
        console.WriteLine($"  plot    {Path.GetFullPath(result.PlotPath)}");
        return ExitCodes.Success;
    }

    private static string Describe(EpochResult epoch) => FormattableString.Invariant(
        $"epoch {epoch.Epoch}: loss {epoch.Loss:F4}, IoU {epoch.Iou:F4}, validation loss {epoch.ValidationLoss:F4}, IoU {epoch.ValidationIou:F4}{(epoch.Best ? " (best)" : "")}, {epoch.Elapsed.TotalSeconds:F0} s");

    /// <summary>Reports on the training thread itself, so lines come out in epoch order.</summary>
    private sealed class EpochProgress(Action<EpochResult> report) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => report(value);
    }
}
