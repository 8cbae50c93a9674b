namespace UNetPP.Cluster.Segmentation.Tests.Instances;

/// <summary>Label images drawn as text: '.' is background, a digit or letter an object's id.</summary>
internal static class LabelArt
{
    public static int[] Parse(params string[] rows) =>
        [.. rows.SelectMany(row => row).Select(c => c == '.' ? 0 : char.IsDigit(c) ? c - '0' : c - 'a' + 10)];
}
