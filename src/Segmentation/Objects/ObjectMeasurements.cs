using UNetPP.Cluster.Segmentation.Imaging;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// What one object measures: its size, place and shape in image pixels, the input's intensity and the
/// model's probability over its pixels, and, when the image says how large its pixels are, the same sizes in
/// micrometres. Pixel (x, y) covers [x, x + 1) × [y, y + 1), the frame of QuPath and of the object outlines.
/// </summary>
/// <param name="AreaPixels">How many pixels the object has.</param>
/// <param name="CentroidX">Mean x of its pixels' centres, in pixels.</param>
/// <param name="CentroidY">Mean y of its pixels' centres, in pixels.</param>
/// <param name="Box">Its bounding box in image pixels.</param>
/// <param name="EquivalentDiameter">The diameter of the circle with its area, in pixels.</param>
/// <param name="Perimeter">Its boundary length in pixels, as <see cref="ObjectMeasurer"/> estimates it.</param>
/// <param name="Eccentricity">That of the ellipse with its second central moments: 0 for a circle, towards 1 for a line.</param>
/// <param name="Solidity">Its area over the area of the convex hull of its pixel squares, 0 to 1.</param>
/// <param name="MeanIntensity">The mean input sample over its pixels, per input channel.</param>
/// <param name="MaxIntensity">The largest input sample over its pixels, per input channel.</param>
/// <param name="MeanProbability">The model's mean probability of its class over its pixels.</param>
/// <param name="Physical">The sizes in micrometres; null when the image does not say its pixel size.</param>
public sealed record ObjectMeasurements(
    int AreaPixels,
    double CentroidX,
    double CentroidY,
    PixelRect Box,
    double EquivalentDiameter,
    double Perimeter,
    double Eccentricity,
    double Solidity,
    IReadOnlyList<double> MeanIntensity,
    IReadOnlyList<double> MaxIntensity,
    double MeanProbability,
    PhysicalObjectSize? Physical);

/// <summary>
/// An object's sizes on the specimen, for images whose files say their pixel size: what a biologist compares
/// across microscopes and magnifications, where pixel counts do not carry over.
/// </summary>
/// <param name="AreaSquareMicrometres">Its area in µm².</param>
/// <param name="CentroidXMicrometres">Its centroid's x in µm from the image's left edge.</param>
/// <param name="CentroidYMicrometres">Its centroid's y in µm from the image's top edge.</param>
/// <param name="EquivalentDiameterMicrometres">The diameter of the circle with its area, in µm.</param>
/// <param name="PerimeterMicrometres">Its boundary length in µm.</param>
public sealed record PhysicalObjectSize(
    double AreaSquareMicrometres,
    double CentroidXMicrometres,
    double CentroidYMicrometres,
    double EquivalentDiameterMicrometres,
    double PerimeterMicrometres);
