using UNetPP.Cluster.Contracts;
using UNetPP.Cluster.Grains.Storage;
using UNetPP.Cluster.Segmentation.Imaging;
using UNetPP.Cluster.Segmentation.Masks;

namespace UNetPP.Cluster.Grains.Reports;

/// <summary>Makes the report page's thumbnails from each sampled input image and the mask the job wrote for it.</summary>
public static class ReportPreviews
{
    /// <summary>
    /// One preview per image of <see cref="ReportPage.Sample"/>, one image at a time, each streamed
    /// from storage as it is reduced, so even a very large image costs only its thumbnail's memory. A thumbnail that cannot be made says why instead; this never throws for one.
    /// </summary>
    public static async Task<IReadOnlyList<ReportPreview>> MakeAsync(IDatasetStorage storage, JobSpec spec, JobReport report, CancellationToken cancellationToken)
    {
        var thumbnails = new ReportThumbnail(new ImageDecoder(new ImageDecoderOptions { MaxPixels = spec.MaxPixels }));
        var previews = new List<ReportPreview>();
        foreach (var image in ReportPage.Sample(report.Images))
        {
            try
            {
                await using var input = await storage.OpenReadAsync(spec.Input, image.Name, cancellationToken);
                await using var mask = await storage.OpenReadAsync(spec.Output, image.Mask, cancellationToken);
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
