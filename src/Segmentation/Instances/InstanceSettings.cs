namespace UNetPP.Cluster.Segmentation.Instances;

/// <summary>How touching nuclei are told apart.</summary>
/// <param name="Smoothing">Gaussian sigma, in pixels, of the blur on the distance map: a nucleus with a dent then
/// keeps one peak instead of two.</param>
/// <param name="MinimumDepth">Pixels a peak of the relief must stand above where it meets a higher one to start an
/// object of its own (the h of h-maxima); infinity keeps each connected region whole.</param>
/// <param name="ProbabilityPower">The relief is the smoothed distance times the probability to this power: 0 uses the
/// mask's shape alone; above 0, the dimmer seam where two nuclei touch lowers the relief there.</param>
/// <param name="MinObjectSize">Objects of fewer pixels are left out.</param>
public sealed record InstanceSettings(double Smoothing, double MinimumDepth, double ProbabilityPower, int MinObjectSize)
{
    /// <summary>
    /// What jobs use: chosen with <c>unetpp-bench instances</c> and the built-in model on crowded and plain
    /// synthetic fields (seed 50), then checked on others never tuned on (models/README.md has the figures).
    /// </summary>
    public static InstanceSettings Default(int minObjectSize) => new(Smoothing: 0.5, MinimumDepth: 0.5, ProbabilityPower: 1, minObjectSize);
}
