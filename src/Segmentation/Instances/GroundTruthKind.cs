using System.Numerics;

namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>
/// Tells, for a one-class model, whether an image's ground truth holds instance labels (every object its
/// own id) or a binary mask (one foreground value): instance labels have more than one distinct non-zero
/// value. A multi-class model's ground truth holds class indices, never instance labels. Rows are fed as
/// they are read, so a large image never has to be whole in memory to be told apart.
/// </summary>
/// <param name="classes">The model's output channels: 1 for a one-class model.</param>
public sealed class GroundTruthKind(int classes)
{
    // The first non-zero value seen; 0 until one is.
    private int _first;

    /// <summary>The model's output channels, as given.</summary>
    public int Classes { get; } = classes;

    /// <summary>Whether the rows added so far are instance labels: true only for a one-class model.</summary>
    public bool InstanceLabels { get; private set; }

    /// <summary>Whether a one-class model's labels of 8 or 16 bits, read whole, are instance labels.</summary>
    public static bool IsInstanceLabels<T>(ReadOnlySpan<T> labels, int classes)
        where T : unmanaged, IBinaryInteger<T>
    {
        var kind = new GroundTruthKind(classes);
        kind.AddRow(labels);
        return kind.InstanceLabels;
    }

    /// <summary>Adds a row of labels, 8 or 16 bits a pixel.</summary>
    public void AddRow<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IBinaryInteger<T>
    {
        // Once a second value has been seen the answer cannot change: the rest need not be looked at.
        if (Classes != 1 || InstanceLabels)
        {
            return;
        }

        foreach (var pixel in row)
        {
            var value = int.CreateTruncating(pixel);
            if (value == 0 || value == _first)
            {
                continue;
            }

            if (_first != 0)
            {
                InstanceLabels = true;
                return;
            }

            _first = value;
        }
    }
}
