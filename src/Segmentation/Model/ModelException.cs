namespace UNetPP.Cluster.Segmentation.Model;

/// <summary>
/// A model file, weights file or model card that cannot be used. The message names the file and
/// the reason, because it is shown to the user as-is (exit code 2).
/// </summary>
public sealed class ModelException : Exception
{
    public ModelException()
    {
    }

    public ModelException(string message) : base(message)
    {
    }

    public ModelException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal static ModelException For(string path, string reason, Exception? inner = null) =>
        inner is null ? new($"{path}: {reason}") : new($"{path}: {reason}", inner);
}
