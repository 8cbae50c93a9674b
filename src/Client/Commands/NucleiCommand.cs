using System.CommandLine;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp nuclei</c>: writes a synthetic fluorescence-nuclei data set (images/ and masks/, and labels/
/// with instance labels) to train or test on.
/// </summary>
internal sealed class NucleiCommand : Command
{
    private readonly Option<string> output = new("--out") { Description = "Folder to create images/ and masks/ in.", Required = true };
    private readonly Option<int> count = new("--count") { Description = "Number of image/mask pairs.", DefaultValueFactory = _ => 100 };
    private readonly Option<int> width = new("--width") { Description = "Image width in pixels.", DefaultValueFactory = _ => 256 };
    private readonly Option<int> height = new("--height") { Description = "Image height in pixels.", DefaultValueFactory = _ => 256 };
    private readonly Option<int> seed = new("--seed") { Description = "The same seed gives the same images.", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> crowded = new("--crowded") { Description = "Dense fields, most nuclei touching or overlapping a neighbour; writes labels/ too." };
    private readonly Option<bool> instances = new("--instances") { Description = "Also write labels/: 16-bit instance labels, background 0, each nucleus its own id." };

    public NucleiCommand(Terminal terminal)
        : base("nuclei", "Write synthetic fluorescence-style nuclei images with their ground-truth masks.")
    {
        foreach (var option in new Option[] { output, count, width, height, seed, crowded, instances })
        {
            Options.Add(option);
        }

        SetAction(parse =>
        {
            var folder = parse.GetRequiredValue(output);
            var dense = parse.GetValue(crowded);
            var labelled = dense || parse.GetValue(instances);
            var written = SyntheticNuclei.Write(
                folder, Positive(parse.GetValue(count), "--count"), Positive(parse.GetValue(width), "--width"), Positive(parse.GetValue(height), "--height"), parse.GetValue(seed), dense, labelled);
            var what = labelled ? "image(s), mask(s) and instance label(s)" : "image(s) and mask(s)";
            terminal.Output.WriteLine($"Wrote {written.Count} {what} under {Path.GetFullPath(folder)}");
            return ExitCodes.Success;
        });
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new UsageException($"{option} must be a positive whole number; got {value}.");
}
