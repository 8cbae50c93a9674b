using System.CommandLine;

namespace UNetPP.Cluster.Cli;

/// <summary>
/// <c>--blob-connection</c>: the Azure Storage account behind <c>az://</c> locations for the commands
/// that read or write data in this process, with <c>UNETPP_BLOB_CONNECTION</c> as its default: a
/// connection string with a key is refused on the command line and taken from there instead.
/// </summary>
public sealed class BlobConnectionOption
{
    public const string Variable = "UNETPP_BLOB_CONNECTION";

    private readonly Option<string?> option = new("--blob-connection")
    {
        Description = $"Azure Storage account for az:// locations: a keyless connection string or account URL (a key goes in ${Variable}, the default).",
    };

    public void AddTo(Command command) => command.Options.Add(option);

    public string? Read(ParseResult parse) =>
        SecretArguments.Checked("--blob-connection", parse.GetValue(option), Variable) is { Length: > 0 } given
            ? given
            : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } inherited ? inherited : null;
}
