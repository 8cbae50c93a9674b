using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UNetPP.Cluster.Segmentation.Objects;

/// <summary>
/// The id of an object's GeoJSON feature: a name-based UUID (RFC 9562 version 8, SHA-256) of the image's
/// name and the object's id, so the same image gives the same ids, and its files the same bytes, on every run.
/// </summary>
internal static class ObjectFeatureId
{
    /// <summary>This product's namespace, so its ids do not collide with other name-based UUIDs of the same names.</summary>
    private static readonly byte[] Namespace = Guid.Parse("0617e110-c1c8-403a-a6e4-2125769c9aaf").ToByteArray(bigEndian: true);

    public static Guid For(string imageName, int objectId)
    {
        // The object id is last and all digits, so no two (image, object) pairs give the same name.
        var name = Encoding.UTF8.GetBytes($"{imageName}/{objectId.ToString(CultureInfo.InvariantCulture)}");
        var hash = SHA256.HashData([.. Namespace, .. name]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
