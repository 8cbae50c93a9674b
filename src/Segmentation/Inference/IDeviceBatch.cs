namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>One batch's input and output buffers on a session, and the model run between them. Used by one thread at a time.</summary>
public interface IDeviceBatch : IDisposable
{
    /// <summary>Where the next run's tiles go, one after another.</summary>
    Span<float> Input { get; }

    /// <summary>Where a run's results are, one tile after another.</summary>
    Span<float> Output { get; }

    /// <summary>
    /// Runs the first <paramref name="count"/> tiles of <see cref="Input"/> into the start of
    /// <see cref="Output"/>, returning once the results are there: a call that does not return is a hung device.
    /// </summary>
    void Run(int count);
}
