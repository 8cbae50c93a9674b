using System.CommandLine;
using System.Globalization;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Model;
using UNetPP.Cluster.Segmentation.Model.BioImage;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp model import</c>: brings a bioimage.io model package in as an ONNX file with its card, once the
/// package's own test tensors reproduce.
/// </summary>
internal sealed class ModelImportCommand : Command
{
    private readonly Argument<string> package = new("package")
    {
        Description = "A bioimage.io model package: its rdf.yaml (or bioimageio.yaml), the folder holding it, or a .zip of that folder.",
    };

    private readonly Option<string> outPath = new("--out")
    {
        Description = "The ONNX file to write, with the model card inside (replaced atomically if it exists).",
        Required = true,
    };

    public ModelImportCommand(Terminal terminal)
        : base("import", "Import a bioimage.io model package (ONNX weights) once its own test tensors reproduce.")
    {
        Arguments.Add(package);
        Options.Add(outPath);
        SetAction(parse => Run(parse.GetRequiredValue(package), parse.GetRequiredValue(outPath), terminal));
    }

    private static int Run(string packagePath, string path, Terminal terminal)
    {
        var imported = BioImageImport.Import(packagePath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        ModelFile.Save(imported.Model, path);
        try
        {
            // What every segment and worker will check, said now rather than at the first image.
            ModelFile.Load(path);
        }
        catch (ModelException)
        {
            File.Delete(path);
            throw;
        }

        var card = imported.Card;
        var test = imported.Test;
        var channels = imported.ChannelNames.Count > 0 ? $" ({string.Join(", ", imported.ChannelNames)})" : "";
        var output = terminal.Output;
        output.WriteLine($"Imported {imported.Name} (bioimage.io {imported.FormatVersion}) from {packagePath}");
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  Test          passed: {test.Values:N0} values, largest difference {test.LargestDifference:G3}, {test.Mismatched:N0} beyond the tolerance"));
        output.WriteLine($"  Input         {imported.InputId}: {card.InChannels} {(card.InChannels == 1 ? "channel" : "channels")}{channels}");
        output.WriteLine($"  Normalization {Describe(card.Normalization)}");
        output.WriteLine($"  Output        {imported.OutputId}: {card.Classes} {(card.Classes == 1 ? "class" : "classes")}, {(card.HeadsAreLogits ? card.Activation : "probabilities")}, threshold {card.Threshold.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine($"  Tile          {card.TileSize}{(imported.Halo > 0 ? $" (halo {imported.Halo})" : "")}");
        output.WriteLine($"  Origin        {card.Origin}");
        output.WriteLine($"Wrote {Path.GetFullPath(path)}");
        return ExitCodes.Success;
    }

    private static string Describe(InputNormalization normalization) => normalization.Method switch
    {
        InputNormalization.Percentile => string.Create(CultureInfo.InvariantCulture, $"percentile {normalization.Low}–{normalization.High}, per image"),
        InputNormalization.ZScore => "zscore, per image",
        _ => string.Create(
            CultureInfo.InvariantCulture,
            $"fixed, mean {string.Join(", ", normalization.Mean.Select(m => m.ToString("G4", CultureInfo.InvariantCulture)))}, std {string.Join(", ", normalization.Std.Select(s => s.ToString("G4", CultureInfo.InvariantCulture)))}"),
    };
}
