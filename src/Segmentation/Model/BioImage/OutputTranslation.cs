using System.Globalization;

namespace UNetPP.Cluster.Segmentation.Model.BioImage;

/// <summary>
/// A package's postprocessing said in the card's terms: whether the model's output still needs an
/// activation (<see cref="Activation"/>, null when it already holds probabilities) and, when the package
/// binarizes, the threshold, which the card's mask applies.
/// </summary>
internal sealed record OutputTranslation(string? Activation, float? Threshold)
{
    /// <summary>Maps <paramref name="output"/>'s postprocessing; throws <see cref="InvalidDataException"/> naming a step the engine cannot do.</summary>
    public static OutputTranslation Translate(TensorDescription output, int classes)
    {
        string? activation = null;
        float? threshold = null;
        foreach (var step in output.Steps)
        {
            switch (step.Name)
            {
                case ModelCard.Sigmoid or ModelCard.Softmax when activation is null && threshold is null:
                    if (step.Name == ModelCard.Softmax && (classes < 2 || (step.Arguments?.Find("axis")?.Text ?? "channel") is not ("channel" or "c")))
                    {
                        throw new InvalidDataException($"{step}: unetpp takes a softmax only across two or more channels");
                    }

                    activation = step.Name;
                    break;
                case "binarize" when threshold is null:
                    var values = step.Arguments?["threshold"].Numbers ?? [];
                    if (values.Distinct().Count() != 1 || values[0] is not (> 0 and < 1))
                    {
                        throw new InvalidDataException(
                            $"{step} thresholds at {string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}; the card's mask takes one probability threshold between 0 and 1");
                    }

                    threshold = (float)values[0];
                    break;
                case "clip" when threshold is null
                    && (step.Arguments?.Find("min")?.Number ?? double.NegativeInfinity) <= 0
                    && (step.Arguments?.Find("max")?.Number ?? double.PositiveInfinity) >= 1:
                    // A clip around [0, 1] leaves probabilities as they are.
                    break;
                case "ensure_dtype" when threshold is not null || (step.Arguments?.Find("dtype")?.Text is "float32" or "float64"):
                    break;
                default:
                    throw new InvalidDataException(
                        $"{step}: unetpp cannot do this step after the model; it takes a sigmoid or softmax, then a binarize threshold");
            }
        }

        return new OutputTranslation(activation, threshold);
    }
}
