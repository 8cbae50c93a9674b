using System.CommandLine;

namespace UNetPP.Cluster.Client;

/// <summary>
/// <c>--blob-connection</c>: the Azure Storage account behind <c>az://</c> locations for the commands
/// that read or write data in this process, with <c>UNETPP_BLOB_CONNECTION</c> as its default so a
/// secret need not sit in the shell history.
/// </summary>
internal sealed class BlobConnectionOption
{
    public const string Variable = "UNETPP_BLOB_CONNECTION";

    private readonly Option<string?> option = new("--blob-connection")
    {
        Description = $"Azure Storage connection string for az:// locations (default: ${Variable}; UseDevelopmentStorage=true for Azurite).",
    };

    public void AddTo(Command command) => command.Options.Add(option);

    public string? Read(ParseResult parse) =>
        parse.GetValue(option) is { Length: > 0 } given
            ? given
            : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } inherited ? inherited : null;
}
