using NetVips;

namespace UNetPP.Cluster.Training;

/// <summary>
/// The curves of a training run as a PNG: loss (left) and IoU (right) per epoch, training in blue and
/// validation in orange, each panel scaled to its own range. The numbers themselves are in the log.
/// </summary>
public static class TrainingPlot
{
    private const int PanelWidth = 400;
    private const int PanelHeight = 300;
    private const int Margin = 24;

    private static readonly byte[] Training = [31, 119, 180];
    private static readonly byte[] Validation = [255, 127, 14];
    private static readonly byte[] Axis = [90, 90, 90];

    public static byte[] Render(IReadOnlyList<EpochResult> epochs)
    {
        var width = 2 * PanelWidth;
        var pixels = new byte[width * PanelHeight * 3];
        Array.Fill(pixels, (byte)255);
        var canvas = new Canvas(pixels, width, PanelHeight);
        DrawPanel(canvas, 0, epochs, [.. epochs.Select(e => e.Loss)], [.. epochs.Select(e => e.ValidationLoss)]);
        DrawPanel(canvas, PanelWidth, epochs, [.. epochs.Select(e => e.Iou)], [.. epochs.Select(e => e.ValidationIou)]);
        using var image = Image.NewFromMemory(pixels, width, PanelHeight, 3, Enums.BandFormat.Uchar);
        return image.PngsaveBuffer();
    }

    private static void DrawPanel(Canvas canvas, int left, IReadOnlyList<EpochResult> epochs, double[] training, double[] validation)
    {
        var all = training.Concat(validation).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        var (low, high) = (all.Min(), all.Max());
        if (high - low < 1e-9)
        {
            (low, high) = (low - 0.5, high + 0.5);
        }

        var (x0, y0, x1, y1) = (left + Margin, PanelHeight - Margin, left + PanelWidth - Margin, Margin);
        canvas.Line(x0, y0, x1, y0, Axis);
        canvas.Line(x0, y0, x0, y1, Axis);
        (int X, int Y) At(int index, double value)
        {
            var fraction = epochs.Count == 1 ? 0.5 : (double)index / (epochs.Count - 1);
            return (x0 + (int)Math.Round(fraction * (x1 - x0)), y0 - (int)Math.Round((value - low) / (high - low) * (y0 - y1)));
        }

        foreach (var (series, colour) in new[] { (training, Training), (validation, Validation) })
        {
            for (var i = 0; i < series.Length; i++)
            {
                var (x, y) = At(i, series[i]);
                canvas.Dot(x, y, colour);
                if (i > 0)
                {
                    var (px, py) = At(i - 1, series[i - 1]);
                    canvas.Line(px, py, x, y, colour);
                }
            }
        }
    }

    private sealed class Canvas(byte[] pixels, int width, int height)
    {
        public void Line(int xa, int ya, int xb, int yb, byte[] colour)
        {
            var steps = Math.Max(Math.Abs(xb - xa), Math.Abs(yb - ya));
            for (var s = 0; s <= steps; s++)
            {
                var t = steps == 0 ? 0 : (double)s / steps;
                Set((int)Math.Round(xa + (t * (xb - xa))), (int)Math.Round(ya + (t * (yb - ya))), colour);
            }
        }

        public void Dot(int x, int y, byte[] colour)
        {
            for (var dy = -2; dy <= 2; dy++)
            {
                for (var dx = -2; dx <= 2; dx++)
                {
                    Set(x + dx, y + dy, colour);
                }
            }
        }

        private void Set(int x, int y, byte[] colour)
        {
            if (x >= 0 && y >= 0 && x < width && y < height)
            {
                colour.CopyTo(pixels, ((y * width) + x) * 3);
            }
        }
    }
}
