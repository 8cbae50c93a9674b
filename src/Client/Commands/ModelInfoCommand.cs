using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using UNetPP.Cluster.Segmentation.Model;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp model info</c>: the model card of a file and, per inference mode, its nodes, parameters and
/// multiply-accumulates, so a user can weigh a fast mode against the accurate one before running a dataset.
/// </summary>
internal sealed class ModelInfoCommand : Command
{
    private const int SmallestSize = 16;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Argument<string> modelPath = new("model")
    {
        Description = "The ONNX model file (a sidecar m.onnx.card.json or m.card.json overrides its card).",
    };

    private readonly Option<ImageSize> size = new("--size")
    {
        Description = "Image size for multiply-accumulates: N for N×N, or HxW.",
        DefaultValueFactory = _ => new ImageSize(96, 96),
        CustomParser = ParseSize,
    };

    private readonly Option<bool> json = new("--json")
    {
        Description = "Print one JSON object on stdout instead of the tables.",
    };

    public ModelInfoCommand(Terminal terminal)
        : base("info", "Show a model file's card and what each inference mode costs.")
    {
        Arguments.Add(modelPath);
        Options.Add(size);
        Options.Add(json);
        SetAction(parse => Run(parse, terminal));
    }

    private int Run(ParseResult parse, Terminal terminal)
    {
        var path = parse.GetRequiredValue(modelPath);
        var imageSize = parse.GetRequiredValue(size);
        var asJson = parse.GetValue(json);
        var loaded = ModelFile.Load(path);
        var figures = ModelFigures.MeasureAll(loaded.Model, loaded.Card, imageSize.Height, imageSize.Width);

        if (asJson)
        {
            terminal.Output.WriteLine(ToJson(path, loaded.Card, imageSize, figures).ToJsonString(Indented));
            return ExitCodes.Success;
        }

        // The path goes on the writer itself, so it is never wrapped at the console width.
        terminal.Output.WriteLine($"Model {Path.GetFullPath(path)}");
        var console = terminal.Human(json: false);
        console.Write(CardTable(loaded.Card));
        console.WriteLine();
        console.Write(ModesTable(figures, imageSize));
        return ExitCodes.Success;
    }

    /// <summary>One row per key, named as the card names it, so what the table shows is what a card file holds.</summary>
    private static Table CardTable(ModelCard card)
    {
        var table = new Table { Border = TableBorder.Rounded }.AddColumns("Card key", "Value");
        foreach (var (key, value) in Keys(JsonNode.Parse(card.ToJson())!.AsObject(), ""))
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value));
        }

        return table;
    }

    private static IEnumerable<(string Key, string Value)> Keys(JsonObject card, string prefix)
    {
        foreach (var (name, node) in card)
        {
            if (node is JsonObject inner)
            {
                foreach (var row in Keys(inner, $"{prefix}{name}."))
                {
                    yield return row;
                }
            }
            else
            {
                yield return ($"{prefix}{name}", node switch
                {
                    null => "-",
                    JsonArray { Count: 0 } => "-",
                    JsonArray items => string.Join(", ", items.Select(i => i?.ToString() ?? "-")),
                    _ => node.ToString(),
                });
            }
        }
    }

    private static Table ModesTable(IReadOnlyList<ModeFigures> figures, ImageSize size)
    {
        var table = new Table { Border = TableBorder.Rounded }
            .AddColumn("Mode")
            .AddColumn(new TableColumn("Nodes").RightAligned())
            .AddColumn(new TableColumn("Parameters").RightAligned())
            .AddColumn(new TableColumn(Markup.Escape($"MACs at {size}")).RightAligned());
        foreach (var mode in figures)
        {
            table.AddRow(
                mode.Mode.ToName(),
                Number(mode.Nodes),
                mode.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                mode.MultiplyAccumulates is { } macs ? $"{(macs / 1e9).ToString("F2", CultureInfo.InvariantCulture)} G" : "n/a");
        }

        return table;
    }

    private static JsonObject ToJson(string path, ModelCard card, ImageSize size, IReadOnlyList<ModeFigures> figures) => new()
    {
        ["file"] = Path.GetFullPath(path),
        ["card"] = JsonNode.Parse(card.ToJson()),
        ["size"] = new JsonObject { ["height"] = size.Height, ["width"] = size.Width },
        ["modes"] = new JsonArray([.. figures.Select(f => (JsonNode)new JsonObject
        {
            ["mode"] = f.Mode.ToName(),
            ["nodes"] = f.Nodes,
            ["parameters"] = f.Parameters,
            ["multiplyAccumulates"] = f.MultiplyAccumulates,
        })]),
    };

    private static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static ImageSize ParseSize(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        var parts = text.Split('x', 'X');
        var edges = parts.Length is 1 or 2
            ? parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray()
            : [];
        if (edges.Length == 0 || edges.Any(e => e < SmallestSize))
        {
            result.AddError($"--size needs N or HxW in pixels, each at least {SmallestSize} (four 2× poolings); got '{text}'.");
            return new ImageSize(SmallestSize, SmallestSize);
        }

        return new ImageSize(edges[0], edges[^1]);
    }

    /// <summary>An image's height and width in pixels.</summary>
    private readonly record struct ImageSize(int Height, int Width)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Height}×{Width}");
    }
}
