using System.Net;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Storage;

/// <summary>Whether a <see cref="StorageLocation"/> is a local folder or a blob container prefix.</summary>
public enum StorageKind
{
    Local,
    Blob,
}

/// <summary>
/// Where a dataset is read from or masks are written to, parsed from what a user typed:
/// a local path, <c>file:///abs/path</c>, <c>az://container/prefix</c> (account from configuration),
/// <c>https://account.blob.core.windows.net/container/prefix[?SAS]</c>, or an emulator URL such as
/// <c>http://127.0.0.1:10000/devstoreaccount1/container/prefix</c>.
/// </summary>
/// <remarks>
/// A blob prefix is treated as a folder: it is stored without leading slashes and with one trailing
/// slash, so <c>az://c/images</c> never picks up <c>images2/…</c>. <see cref="ToString"/> redacts
/// the SAS signature because locations end up in logs, reports and exception messages.
/// </remarks>
public sealed partial record StorageLocation
{
    private StorageLocation(StorageKind kind, string? localPath, Uri? serviceUri, string? accountName, string? container, string prefix, string? sasToken)
    {
        Kind = kind;
        LocalPath = localPath;
        ServiceUri = serviceUri;
        AccountName = accountName;
        Container = container;
        Prefix = prefix;
        SasToken = sasToken;
    }

    public StorageKind Kind { get; }

    /// <summary>The absolute folder for <see cref="StorageKind.Local"/>; null for blobs.</summary>
    public string? LocalPath { get; }

    /// <summary>
    /// The blob service endpoint (<c>https://account.blob.core.windows.net/</c> or
    /// <c>http://127.0.0.1:10000/devstoreaccount1/</c>); null for <c>az://</c>, whose account comes from configuration.
    /// </summary>
    public Uri? ServiceUri { get; }

    /// <summary>The storage account named by the URL; null for <c>az://</c> and local paths.</summary>
    public string? AccountName { get; }

    public string? Container { get; }

    /// <summary>The blob name prefix: empty, or ending in exactly one '/'.</summary>
    public string Prefix { get; }

    /// <summary>The SAS query string (without '?') when the URL carried one; it is then the credential.</summary>
    public string? SasToken { get; }

    public static StorageLocation Local(string path) =>
        new(StorageKind.Local, Path.GetFullPath(path), null, null, null, string.Empty, null);

    /// <summary>Parses a user's input or output location; throws <see cref="FormatException"/> naming the text and the reason.</summary>
    public static StorageLocation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw Invalid(text, "it is empty");
        }

        var trimmed = text.Trim();

        // A Windows drive path ("C:\data") would otherwise look like a URI with scheme "c".
        if (DrivePath().IsMatch(trimmed))
        {
            return Local(trimmed);
        }

        var schemeEnd = trimmed.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return Local(trimmed);
        }

        var scheme = trimmed[..schemeEnd].ToUpperInvariant();
        return scheme switch
        {
            "FILE" => ParseFile(text, trimmed),
            "AZ" => ParseAz(text, trimmed[(schemeEnd + 3)..]),
            "HTTPS" or "HTTP" => ParseHttp(text, trimmed),
            _ => throw Invalid(text, $"the scheme '{trimmed[..schemeEnd]}' is not supported (use a local path, file://, az://, or an https:// blob URL)"),
        };
    }

    /// <summary>The same location with the SAS signature redacted, safe for logs and messages.</summary>
    public override string ToString()
    {
        if (Kind == StorageKind.Local)
        {
            return LocalPath!;
        }

        var root = ServiceUri is null ? $"az://{Container}/" : $"{ServiceUri}{Container}/";
        return SasToken is null ? root + Prefix : $"{root}{Prefix}?{RedactSignature(SasToken)}";
    }

    /// <summary>
    /// Where this location lies inside <paramref name="outer"/>: the path between them ('/'-separated,
    /// ending in '/'), empty when both are the same place, null when this is not inside it. An
    /// <c>az://</c> location and an account URL are never compared: which account <c>az://</c> means
    /// is configuration the caller may not see.
    /// </summary>
    public string? PathWithin(StorageLocation outer)
    {
        ArgumentNullException.ThrowIfNull(outer);
        if (Kind != outer.Kind)
        {
            return null;
        }

        if (Kind == StorageKind.Local)
        {
            var inner = LocalPath!.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            var folder = outer.LocalPath!.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
            return inner.StartsWith(folder, StringComparison.Ordinal)
                ? inner[folder.Length..].Replace(Path.DirectorySeparatorChar, '/')
                : null;
        }

        var sameAccount = ServiceUri is null
            ? outer.ServiceUri is null
            : outer.ServiceUri is not null && Uri.Compare(ServiceUri, outer.ServiceUri, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
        return sameAccount && Container == outer.Container && Prefix.StartsWith(outer.Prefix, StringComparison.Ordinal)
            ? Prefix[outer.Prefix.Length..]
            : null;
    }

    /// <summary>
    /// Splits a blob URL as the user gave it into the URL without its query and the SAS (without '?');
    /// any other location comes back whole, with no SAS. Unlike <see cref="Parse"/> it keeps the user's
    /// text as it was, so the two halves join again into exactly that text.
    /// </summary>
    public static (string Bare, string? Sas) SplitSas(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var query = location.IndexOf('?', StringComparison.Ordinal);
        var isUrl = location.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
        return isUrl && query >= 0 ? (location[..query], location[(query + 1)..]) : (location, null);
    }

    /// <summary>Replaces the value of every <c>sig=</c> parameter so a SAS can be shown without granting access.</summary>
    public static string RedactSignature(string queryOrUrl) => Signature().Replace(queryOrUrl, "${name}=REDACTED");

    private static StorageLocation ParseFile(string text, string trimmed)
    {
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || !uri.IsFile)
        {
            throw Invalid(text, "it is not a valid file:// URL");
        }

        if (!uri.IsLoopback && !string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(text, $"file:// URLs must name a local path, not the host '{uri.Host}' (write file:///absolute/path)");
        }

        // file://localhost/x is /x; Uri.LocalPath would turn it into a UNC path.
        return Local(string.IsNullOrEmpty(uri.Host) ? uri.LocalPath : Uri.UnescapeDataString(uri.AbsolutePath));
    }

    private static StorageLocation ParseAz(string text, string rest)
    {
        if (rest.Contains('?', StringComparison.Ordinal))
        {
            throw Invalid(text, "az:// locations take their credential from configuration; put a SAS on an https:// URL instead");
        }

        var (container, prefix) = SplitContainer(text, rest);
        return new StorageLocation(StorageKind.Blob, null, null, null, container, prefix, null);
    }

    private static StorageLocation ParseHttp(string text, string trimmed)
    {
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(text, "it is not a valid URL");
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            throw Invalid(text, "a storage URL has no '#' fragment");
        }

        string account;
        string path = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        Uri service;
        var hostDot = uri.Host.IndexOf('.', StringComparison.Ordinal);
        if (IsEmulatorHost(uri))
        {
            // Emulators (Azurite) put the account in the first path segment instead of the host name.
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            account = slash < 0 ? path : path[..slash];
            if (account.Length == 0)
            {
                throw Invalid(text, "an emulator URL needs the account as its first path segment (http://127.0.0.1:10000/devstoreaccount1/container/prefix)");
            }

            path = slash < 0 ? string.Empty : path[(slash + 1)..];
            service = new Uri($"{uri.Scheme}://{uri.Authority}/{Uri.EscapeDataString(account)}/");
        }
        else if (hostDot > 0 && uri.Host[hostDot..].StartsWith(".blob.", StringComparison.OrdinalIgnoreCase))
        {
            if (uri.Scheme != Uri.UriSchemeHttps)
            {
                throw Invalid(text, "blob URLs of a real account must use https, so credentials never travel in clear text");
            }

            account = uri.Host[..hostDot];
            service = new Uri($"https://{uri.Authority}/");
        }
        else
        {
            throw Invalid(text, $"the host '{uri.Host}' is not a blob endpoint (expected <account>.blob.core.windows.net, or 127.0.0.1/localhost for an emulator)");
        }

        var (container, prefix) = SplitContainer(text, path);
        string? sas = null;
        if (uri.Query.Length > 1)
        {
            sas = uri.Query[1..];
            if (!sas.Split('&').Any(p => p.StartsWith("sig=", StringComparison.OrdinalIgnoreCase)))
            {
                throw Invalid(text, "its query string is not a SAS token (no 'sig=' parameter)");
            }
        }

        return new StorageLocation(StorageKind.Blob, null, service, account, container, prefix, sas);
    }

    private static bool IsEmulatorHost(Uri uri) =>
        uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _);

    private static (string Container, string Prefix) SplitContainer(string text, string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? path : path[..slash];
        if (container.Length == 0)
        {
            throw Invalid(text, "it names no container");
        }

        if (!ContainerName().IsMatch(container) || container.Contains("--", StringComparison.Ordinal))
        {
            throw Invalid(text, $"'{container}' is not a valid container name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)");
        }

        var prefix = slash < 0 ? string.Empty : path[(slash + 1)..].Trim('/');
        if (prefix.Length > 0)
        {
            if (prefix.Split('/').Any(s => s.Length == 0 || s == "." || s == ".."))
            {
                throw Invalid(text, "its prefix has an empty, '.' or '..' segment");
            }

            prefix += "/";
        }

        return (container, prefix);
    }

    private static FormatException Invalid(string text, string reason) =>
        new($"'{RedactSignature(text)}' is not a storage location: {reason}.");

    [GeneratedRegex("^[A-Za-z]:[\\\\/]")]
    private static partial Regex DrivePath();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();

    [GeneratedRegex("(?<name>(?<=^|[?&])sig)=[^&]*", RegexOptions.IgnoreCase)]
    private static partial Regex Signature();
}
