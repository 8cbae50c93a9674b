using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// One object of an image's label image, cut out on its bounding box: what its measurements, its table
/// row and its outline are made from. Crops are row-major, <see cref="Box"/>.Width × <see cref="Box"/>.Height;
/// pixel (x, y) of the image is at index (y − Box.Y) × Box.Width + (x − Box.X).
/// </summary>
/// <param name="Id">The object's id in the label image, 1…N.</param>
/// <param name="ClassIndex">Its class: 1 for a one-output model, else 1 … K − 1.</param>
/// <param name="Box">Its bounding box in image pixels.</param>
/// <param name="Pixels">Whether each pixel of the box is the object's.</param>
/// <param name="Probability">The model's probability of the object's class at each pixel of the box, 0 to 1.</param>
/// <param name="Channels">
/// The input image's samples at each pixel of the box, one crop per input channel, in the file's own units
/// (0…65535 for 16-bit data); empty when the image was not read.
/// </param>
public sealed record ImageObject(int Id, int ClassIndex, PixelRect Box, bool[] Pixels, float[] Probability, IReadOnlyList<float[]> Channels);
