using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Grains.Reports;

/// <summary>Makes the report page's thumbnails from each sampled input image and the mask the job wrote for it.</summary>
public static class ReportPreviews
{
    /// <summary>
    /// One preview per image of <see cref="ReportPage.Sample"/>, one image at a time so that at most one
    /// input is held in memory. A thumbnail that cannot be made says why instead; this never throws for one.
    /// </summary>
    public static async Task<IReadOnlyList<ReportPreview>> MakeAsync(IDatasetStorage storage, JobSpec spec, JobReport report, CancellationToken cancellationToken)
    {
        var thumbnails = new ReportThumbnail(new ImageDecoder(new ImageDecoderOptions { MaxPixels = spec.MaxPixels }));
        var previews = new List<ReportPreview>();
        foreach (var image in ReportPage.Sample(report.Images))
        {
            try
            {
                var input = await storage.ReadAsync(spec.Input, image.Name, cancellationToken);
                var mask = await storage.ReadAsync(spec.Output, image.Mask, cancellationToken);
                previews.Add(ReportPreview.Of(image.Name, thumbnails.Make(image.Name, input, image.Mask, mask)));
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
            {
                // An unreadable image or a missing mask costs its own picture, never the page; the message names the file.
                previews.Add(ReportPreview.Missing(image.Name, ex.Message));
            }
        }

        return previews;
    }
}
