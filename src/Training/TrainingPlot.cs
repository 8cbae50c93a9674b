using System.Globalization;
using System.Text;
using NetVips;

namespace UNetPP.Cluster.Training;

/// <summary>
/// The curves of a training run as a PNG: loss (left) and IoU (right) per epoch, training in blue and
/// validation in orange, each panel with its axes, ticks, titles and a legend, scaled to its own range.
/// Drawn as SVG and rendered by libvips (librsvg), which lays out the text with the system's fonts.
/// </summary>
public static class TrainingPlot
{
    private const int PanelWidth = 450;
    private const int PanelHeight = 340;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 40;
    private const int Bottom = 48;

    private const string TrainingColour = "#1f77b4";
    private const string ValidationColour = "#ff7f0e";

    public static byte[] Render(IReadOnlyList<EpochResult> epochs)
    {
        using var svg = Image.NewFromBuffer(Encoding.UTF8.GetBytes(Svg(epochs)));
        using var flat = svg.Flatten(background: [255, 255, 255]);
        return flat.PngsaveBuffer();
    }

    /// <summary>The plot as SVG text.</summary>
    public static string Svg(IReadOnlyList<EpochResult> epochs)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * PanelWidth}\" height=\"{PanelHeight}\" font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\" font-size=\"12\">"));
        svg.Append(Invariant($"<rect width=\"{2 * PanelWidth}\" height=\"{PanelHeight}\" fill=\"white\"/>"));
        Panel(svg, 0, "Loss (0.5·BCE + Dice loss)", "loss", epochs, [.. epochs.Select(e => e.Loss)], [.. epochs.Select(e => e.ValidationLoss)]);
        Panel(svg, PanelWidth, "IoU", "IoU", epochs, [.. epochs.Select(e => e.Iou)], [.. epochs.Select(e => e.ValidationIou)]);
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int offset, string title, string axisTitle, IReadOnlyList<EpochResult> epochs, double[] training, double[] validation)
    {
        var (x0, x1, y0, y1) = (offset + Left, offset + PanelWidth - Right, PanelHeight - Bottom, Top);
        var values = training.Concat(validation).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        var yTicks = Ticks.For(values.Min(), values.Max());
        var first = epochs.Count == 0 ? 1 : epochs[0].Epoch;
        var last = epochs.Count == 0 ? 1 : epochs[^1].Epoch;
        var xTicks = Ticks.ForWholeNumbers(first, last);
        double X(double epoch) => x0 + ((epoch - xTicks.Low) / (xTicks.High - xTicks.Low) * (x1 - x0));
        double Y(double value) => y0 - ((value - yTicks.Low) / (yTicks.High - yTicks.Low) * (y0 - y1));

        svg.Append(Invariant($"<text x=\"{(x0 + x1) / 2}\" y=\"{Top - 16}\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{title}</text>"));
        foreach (var value in yTicks.Values)
        {
            var y = Y(value);
            svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{y:0.#}\" x2=\"{x1}\" y2=\"{y:0.#}\" stroke=\"#e5e5e5\"/>"));
            svg.Append(Invariant($"<line x1=\"{x0 - 5}\" y1=\"{y:0.#}\" x2=\"{x0}\" y2=\"{y:0.#}\" stroke=\"#555\"/>"));
            svg.Append(Invariant($"<text x=\"{x0 - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{yTicks.Label(value)}</text>"));
        }

        foreach (var value in xTicks.Values)
        {
            var x = X(value);
            svg.Append(Invariant($"<line x1=\"{x:0.#}\" y1=\"{y0}\" x2=\"{x:0.#}\" y2=\"{y0 + 5}\" stroke=\"#555\"/>"));
            svg.Append(Invariant($"<text x=\"{x:0.#}\" y=\"{y0 + 18}\" text-anchor=\"middle\">{xTicks.Label(value)}</text>"));
        }

        svg.Append(Invariant($"<polyline points=\"{x0},{y1} {x0},{y0} {x1},{y0}\" fill=\"none\" stroke=\"#555\"/>"));
        svg.Append(Invariant($"<text x=\"{(x0 + x1) / 2}\" y=\"{PanelHeight - 10}\" text-anchor=\"middle\">epoch</text>"));
        svg.Append(Invariant($"<text transform=\"translate({offset + 16},{(y0 + y1) / 2}) rotate(-90)\" text-anchor=\"middle\">{axisTitle}</text>"));

        foreach (var (series, colour) in new[] { (training, TrainingColour), (validation, ValidationColour) })
        {
            var points = epochs.Select((e, i) => (e.Epoch, Value: series[i])).Where(p => double.IsFinite(p.Value)).ToList();
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => Invariant($"{X(p.Epoch):0.#},{Y(p.Value):0.#}")))}\"/>"));
            foreach (var (epoch, value) in points)
            {
                svg.Append(Invariant($"<circle cx=\"{X(epoch):0.#}\" cy=\"{Y(value):0.#}\" r=\"3\" fill=\"{colour}\"/>"));
            }
        }

        // The legend sits in the panel's top right corner, on white so a curve passing under it stays readable.
        var (lx, ly) = (x1 - 110, y1 + 6);
        svg.Append(Invariant($"<rect x=\"{lx}\" y=\"{ly}\" width=\"104\" height=\"42\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#ccc\"/>"));
        foreach (var (label, colour, row) in new[] { ("training", TrainingColour, 0), ("validation", ValidationColour, 1) })
        {
            var y = ly + 14 + (row * 18);
            svg.Append(Invariant($"<line x1=\"{lx + 8}\" y1=\"{y}\" x2=\"{lx + 28}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\"/>"));
            svg.Append(Invariant($"<text x=\"{lx + 34}\" y=\"{y + 4}\">{label}</text>"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Round tick values (1, 2, 2.5 or 5 times a power of ten) that cover a range in about five steps.</summary>
    private sealed record Ticks(double Low, double High, double Step)
    {
        public IEnumerable<double> Values =>
            Enumerable.Range(0, (int)Math.Round((High - Low) / Step) + 1).Select(i => Low + (i * Step));

        public static Ticks For(double low, double high)
        {
            if (high - low < 1e-9)
            {
                (low, high) = (low - 0.5, high + 0.5);
            }

            var step = Nice((high - low) / 5);
            return new Ticks(Math.Floor(low / step) * step, Math.Ceiling(high / step) * step, step);
        }

        public static Ticks ForWholeNumbers(int first, int last)
        {
            if (last <= first)
            {
                return new Ticks(first - 1, first + 1, 1);
            }

            var step = Math.Max(1, Nice((last - first) / 6.0));
            step = Math.Ceiling(step);
            return new Ticks(Math.Floor(first / step) * step, Math.Ceiling(last / step) * step, step);
        }

        public string Label(double value)
        {
            // As many decimals as the step needs: 0.25 shows two, 0.5 one, 2 none.
            var decimals = 0;
            while (decimals < 6 && Math.Abs((Step * Math.Pow(10, decimals)) - Math.Round(Step * Math.Pow(10, decimals))) > 1e-9)
            {
                decimals++;
            }

            return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        }

        private static double Nice(double rough)
        {
            var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            return new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * power).First(s => s >= rough - 1e-12);
        }
    }
}
