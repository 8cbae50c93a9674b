using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Client;

/// <summary>
/// Keeps account keys off the command line, where every process listing and shell history shows
/// them: an option that takes a connection string refuses one that carries a key or a signature,
/// and says which environment variable takes it instead. Keyless values (an account URL for a
/// managed identity, UseDevelopmentStorage=true) are fine on the command line.
/// </summary>
internal static partial class SecretArguments
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

    [GeneratedRegex(@"(AccountKey|SharedAccessSignature)\s*=|[?&]sig=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secret();
}
