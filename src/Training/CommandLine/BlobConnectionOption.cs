using System.CommandLine;
using System.Text.RegularExpressions;

namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>
/// <c>--blob-connection</c>: the Azure Storage account behind <c>az://</c> training data, with
/// <c>UNETPP_BLOB_CONNECTION</c> as its default, as in <c>unetpp</c>. A connection string with a key or
/// signature is refused on the command line, where every process listing and shell history shows it,
/// and taken from the variable instead.
/// </summary>
internal sealed partial class BlobConnectionOption
{
    public const string Variable = "UNETPP_BLOB_CONNECTION";

    private readonly Option<string?> option = new("--blob-connection")
    {
        Description = $"Azure Storage account for az:// locations: a keyless connection string or account URL (a key goes in ${Variable}, the default).",
    };

    public void AddTo(Command command) => command.Options.Add(option);

    public string? Read(ParseResult parse)
    {
        var given = parse.GetValue(option);
        if (given is not null && Secret().IsMatch(given))
        {
            throw new UsageException(
                $"--blob-connection: the value holds a secret (an account key or signature), and a command line shows in process listings; set ${Variable} instead.");
        }

        return given is { Length: > 0 }
            ? given
            : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } inherited ? inherited : null;
    }

    [GeneratedRegex(@"(AccountKey|SharedAccessSignature)\s*=|[?&]sig=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Secret();
}
