using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Training;

/// <summary>How to train: the seed's recipe, with its defaults where the seed has them.</summary>
public sealed record TrainingOptions
{
    /// <summary>The network to train (filters, channels, classes, deep supervision).</summary>
    public NestedUNetOptions Network { get; init; } = new() { Filters = [16, 32, 64, 128, 256] };

    public int Epochs { get; init; } = 30;

    /// <summary>Side of the square crops trained on, a multiple of 16 (the seed trains at 96).</summary>
    public int Size { get; init; } = 96;

    public int BatchSize { get; init; } = 8;

    /// <summary>Random crops taken from each training image per epoch.</summary>
    public int CropsPerImage { get; init; } = 4;

    /// <summary>Adam's learning rate at the start of the cosine schedule (the seed's 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Where the cosine schedule ends (the seed's min_lr).</summary>
    public double MinLearningRate { get; init; } = 1e-5;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Share of the images held out for validation (the seed's 0.2).</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Seeds the weights, the split, the crops, the flips and the intensity augmentation: the same seed and data give the same model.</summary>
    public int Seed { get; init; } = 41;

    /// <summary>CPU threads for libtorch; 0 for all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Tile hint written into the model card for inference.</summary>
    public int TileSize { get; init; } = 256;

    /// <summary>How intensities become model input, in training and, through the model card, at inference.</summary>
    public NormalizationChoice Normalization { get; init; } = new(InputNormalization.Fixed, InputNormalization.ImageNet.Low, InputNormalization.ImageNet.High);

    /// <summary>Whether crops get random exposure, gamma, offset and bit depth; unset, only under a per-image normalisation, which can undo them.</summary>
    public bool? AugmentIntensity { get; init; }

    /// <summary>The target where two labelled nuclei touch, trained from instance labels; null trains on binary masks.</summary>
    public double? SeamProbability { get; init; }

    /// <summary>The model card's normalisation: the default one for the network's channels, with <see cref="Normalization"/>'s method.</summary>
    public InputNormalization InputNormalization => Normalization.ApplyTo(ModelCard.DefaultNormalization(Network.InChannels));

    /// <summary>Whether training uses <see cref="Training.IntensityAugmentation"/>: as <see cref="AugmentIntensity"/> says, or by the normalisation.</summary>
    public bool AugmentsIntensity => AugmentIntensity ?? InputNormalization.PerImage;

    public void Validate()
    {
        Network.Validate();
        Require(Epochs >= 1, $"--epochs {Epochs}: train for at least one epoch.");
        Require(Size >= 16 && Size % 16 == 0, $"--size {Size}: the crop side must be a multiple of 16 and at least 16.");
        Require(BatchSize >= 1, $"--batch {BatchSize}: the batch size must be at least 1.");
        Require(CropsPerImage >= 1, $"--crops {CropsPerImage}: take at least one crop per image.");
        Require(LearningRate > 0 && MinLearningRate >= 0 && MinLearningRate <= LearningRate, $"--lr {LearningRate}: the learning rate must be positive and above the minimum {MinLearningRate}.");
        Require(ValidationFraction is > 0 and < 1, $"--validation {ValidationFraction}: hold out a fraction between 0 and 1.");
        Require(Threads >= 0, $"--threads {Threads}: use 0 for all cores or a positive count.");
        Require(TileSize >= 16 && TileSize % 16 == 0, $"--tile-size {TileSize}: a multiple of 16.");
        Require(SeamProbability is null or (>= 0.5 and <= 1), $"--seam-probability {SeamProbability}: between 0.5 (the mask's threshold) and 1.");
        Require(InputNormalization.Problem() is null, $"--normalize {Normalization}: {InputNormalization.Problem()}; {NormalizationChoice.Usage}.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
