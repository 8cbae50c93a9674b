using NetVips;

namespace UNetPP.Cluster.Segmentation.Synthetic;

/// <summary>One synthetic field: the image, its binary mask and its instance labels, as drawn.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Rgb">8-bit RGB pixels, row by row.</param>
/// <param name="Mask">0 for background, 255 for nucleus.</param>
/// <param name="Labels">0 for background, else the nucleus's id, 1…N; touching nuclei have different ids.</param>
public sealed record SyntheticField(int Width, int Height, byte[] Rgb, byte[] Mask, ushort[] Labels)
{
    /// <summary>The image as an 8-bit RGB PNG.</summary>
    public byte[] ImagePng()
    {
        using var image = Image.NewFromMemory(Rgb, Width, Height, 3, Enums.BandFormat.Uchar);
        return image.PngsaveBuffer();
    }

    /// <summary>The mask as an 8-bit gray PNG.</summary>
    public byte[] MaskPng()
    {
        using var image = Image.NewFromMemory(Mask, Width, Height, 1, Enums.BandFormat.Uchar);
        return image.PngsaveBuffer();
    }

    /// <summary>The instance labels as a 16-bit gray PNG.</summary>
    public byte[] LabelsPng()
    {
        using var pixels = Image.NewFromMemory(Labels, Width, Height, 1, Enums.BandFormat.Ushort);

        // Without grey16 the encoder takes the values for 8-bit ones and scales them up.
        using var image = pixels.Copy(interpretation: Enums.Interpretation.Grey16);
        return image.PngsaveBuffer();
    }
}
