namespace UNetPP.Cluster.Segmentation.Imaging;

/// <summary>
/// An image that cannot be segmented as given: unreadable, of an unsupported kind, too large, or
/// incompatible with the model. The message is one line naming the image and the reason, so it can
/// be shown to the person who submitted the image without further context.
/// </summary>
public sealed class ImageRejectedException : Exception
{
    public ImageRejectedException(string imageName, string reason)
        : base($"{imageName}: {reason}")
    {
        ImageName = imageName;
        Reason = reason;
    }

    public ImageRejectedException(string imageName, string reason, Exception innerException)
        : base($"{imageName}: {reason}", innerException)
    {
        ImageName = imageName;
        Reason = reason;
    }

    /// <summary>The name the image was submitted under (a path or blob name), used only in messages.</summary>
    public string ImageName { get; }

    /// <summary>Why the image was refused, without the image name.</summary>
    public string Reason { get; }
}
