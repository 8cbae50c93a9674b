using System.CommandLine;
using UNetPP.Cluster.Silo.Api;

namespace UNetPP.Cluster.Client.Commands;

/// <summary>
/// <c>unetpp api-key new</c>: a new random key, shown once, and the silo settings that accept it with
/// its rights. Only the key's hash goes to the silos, so the key itself is nowhere but with its holder.
/// </summary>
internal sealed class ApiKeyNewCommand : Command
{
    private readonly Option<string> name = new("--name")
    {
        Description = "Who the key is for (a notebook, a dashboard): letters, digits, '-' and '_'. Logs and rate limits know the caller by it.",
        Required = true,
    };

    private readonly Option<string> rights = new("--rights")
    {
        Description = $"What the key may do, separated by commas: any of {ApiRights.Names}.",
        Required = true,
    };

    public ApiKeyNewCommand(Terminal terminal)
        : base("new", "Make an API key: print it once, and the settings that give it its rights on the silos.")
    {
        Options.Add(name);
        Options.Add(rights);
        SetAction(parse => Run(parse, terminal));
    }

    private int Run(ParseResult parse, Terminal terminal)
    {
        var holder = parse.GetRequiredValue(name);
        if (ApiKey.NameProblem(holder) is { } problem)
        {
            throw new UsageException($"--name {problem}");
        }

        var listed = parse.GetRequiredValue(rights);
        var granted = ApiRights.Parse(listed)
            ?? throw new UsageException($"--rights '{listed}': name what the key may do, any of {ApiRights.Names}, separated by commas.");
        var key = ApiKey.New();
        var names = string.Join(",", Enum.GetValues<ApiRight>().Where(granted.Contains).Select(ApiRights.Name));

        terminal.Output.WriteLine($"API key for {holder} ({names}), shown this once; its holder sends it as Authorization: Bearer <key>:");
        terminal.Output.WriteLine(key);
        terminal.Output.WriteLine();
        terminal.Output.WriteLine("Settings for every silo, as environment variables (deploy/ takes them from an env file or Secret with Api__Enabled=true; docs/api-access.md):");
        terminal.Output.WriteLine($"Api__Keys__{holder}__Hash={ApiKey.Hash(key)}");
        terminal.Output.WriteLine($"Api__Keys__{holder}__Rights={names}");
        return ExitCodes.Success;
    }
}
