namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>One object's row of the object table: which image and object it is, its class, and what it measures.</summary>
/// <param name="ImageName">The image the object is in, as the job names it.</param>
/// <param name="ObjectId">The object's id in the image's label image.</param>
/// <param name="ClassIndex">Its class number.</param>
/// <param name="ClassName">Its class's name, as a person reads it.</param>
/// <param name="Measurements">What it measures.</param>
public sealed record ObjectRow(string ImageName, int ObjectId, int ClassIndex, string ClassName, ObjectMeasurements Measurements);
