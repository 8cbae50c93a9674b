using System.Text.RegularExpressions;
using UNetPP.Cluster.Storage;

namespace UNetPP.Cluster.Cli;

/// <summary>
/// Keeps account keys off the command line, where every process listing and shell history shows
/// them: an option that takes a connection string refuses one that carries a key or a signature,
/// and says which environment variable takes it instead. Keyless values (an account URL for a
/// managed identity, UseDevelopmentStorage=true) are fine on the command line. A data location's
/// SAS likewise comes from the environment.
/// </summary>
public static partial class SecretArguments
{
    /// <summary>The value, or a usage error when it holds a secret.</summary>
    public static string? Checked(string option, string? value, string variable)
    {
        if (value is not null && Secret().IsMatch(value))
        {
            throw new UsageException(
                $"{option}: the value holds a secret (an account key or signature), and a command line shows in process listings; set ${variable} instead.");
        }

        return value;
    }

    /// <summary>
    /// A data location from the command line. One that carries a SAS signature is refused, like a key;
    /// a blob URL given without a query is signed with the SAS in <paramref name="variable"/> when that is set.
    /// </summary>
    public static string Location(string option, string value, string variable)
    {
        if (Secret().IsMatch(value))
        {
            throw new UsageException(
                $"{option} {StorageLocation.RedactSignature(value)}: the location holds a SAS signature, and a command line shows in process listings; "
                + $"give the location without its query and set ${variable} to the SAS.");
        }

        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } sas)
        {
            return value;
        }

        if (!value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"${variable} is set, but {option} {value} is not a blob URL (https://<account>.blob.core.windows.net/<container>/<prefix>) for the SAS to sign.");
        }

        if (value.Contains('?', StringComparison.Ordinal))
        {
            throw new UsageException($"${variable} is set, but {option} {value} already has a query; give the location without it.");
        }

        return $"{value}?{sas.TrimStart('?')}";
    }

    [GeneratedRegex(@"(AccountKey|SharedAccessSignature)\s*=|[?&]sig=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secret();
}
