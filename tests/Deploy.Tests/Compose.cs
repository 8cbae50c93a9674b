namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>A service of deploy/docker-compose.yml, anchors and merge keys resolved.</summary>
internal sealed record ComposeService(string Name, YamlNode Node)
{
    public IReadOnlyList<string> Profiles => Node.Find("profiles")?.Items.Select(p => p.Text).ToList() ?? [];

    public string? BuildTarget => Node.Find("build")?.Find("target")?.Text;

    public IReadOnlyDictionary<string, string> Environment =>
        Node.Find("environment")?.Entries.ToDictionary(e => e.Key, e => e.Value.Text) ?? [];

    public YamlNode? Network => Node.Find("networks")?.Find(Compose.NetworkName);

    /// <summary>The names other containers reach it by: its own and its aliases on the network.</summary>
    public IReadOnlyList<string> HostNames =>
        [Name, .. Network?.Find("aliases")?.Items.Select(a => a.Text) ?? []];

    /// <summary>The command as a list of words (compose also takes one string, split as a shell would).</summary>
    public IReadOnlyList<string> Command =>
        Node["command"] is { IsSequence: true } list
            ? list.Items.Select(i => i.Text).ToList()
            : Node["command"].Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The container ports it publishes, from "host:port:container" or "port:container".</summary>
    public IReadOnlyList<int> PublishedContainerPorts =>
        Node.Find("ports")?.Items.Select(p => int.Parse(p.Text.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture)).ToList() ?? [];
}

/// <summary>deploy/docker-compose.yml.</summary>
internal static class Compose
{
    public const string File = "deploy/docker-compose.yml";
    public const string NetworkName = "unetpp";

    private static readonly Lazy<YamlNode> RootValue = new(() => YamlNode.Load(File));

    public static YamlNode Root => RootValue.Value;

    public static IReadOnlyList<ComposeService> Services =>
        Root["services"].Entries.Select(e => new ComposeService(e.Key, e.Value)).ToList();

    public static ComposeService Service(string name) => Services.Single(s => s.Name == name);

    /// <summary>The silos: the services built from the Dockerfile's silo stages.</summary>
    public static IReadOnlyList<ComposeService> Silos =>
        Services.Where(s => s.BuildTarget is "silo" or "silo-gpu").ToList();
}
