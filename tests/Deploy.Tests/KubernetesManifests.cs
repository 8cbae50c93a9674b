using k8s;
using k8s.Models;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The Kubernetes objects of deploy/kubernetes, loaded into the client library's typed models in
/// strict mode, where a field the API does not have is an error (a misspelt field would otherwise
/// be dropped by the API server or kubectl without a word). KEDA's kinds load into this project's
/// own typed models of them (<see cref="ScaledObject"/>).
/// </summary>
internal static class KubernetesManifests
{
    public const string Folder = "deploy/kubernetes";

    /// <summary>The manifests: every YAML file but kustomize's own.</summary>
    public static IReadOnlyList<string> Files { get; } =
        Repo.FilesUnder(Folder, ".yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").ToList();

    private static readonly Lazy<IReadOnlyList<(string File, object Object)>> AllValue = new(() =>
        Files.SelectMany(f => Load(Repo.Read(f)).Select(o => (f, o))).ToList());

    public static IReadOnlyList<(string File, object Object)> All => AllValue.Value;

    private static readonly Dictionary<string, Type> CustomKinds = new(StringComparer.Ordinal) { [ScaledObject.TypeKey] = typeof(ScaledObject) };

    public static IReadOnlyList<object> Load(string yaml) => KubernetesYaml.LoadAllFromString(yaml, CustomKinds, strict: true);

    /// <summary>The one object of a type (and name).</summary>
    public static T Single<T>(string? name = null)
        where T : IMetadata<V1ObjectMeta>
    {
        var found = All.Select(a => a.Object).OfType<T>().Where(o => name is null || o.Metadata.Name == name).ToList();
        return found.Count == 1
            ? found[0]
            : throw new InvalidOperationException($"Expected one {typeof(T).Name}{(name is null ? string.Empty : $" named {name}")} in {Folder}; found {found.Count}.");
    }

    /// <summary>A container port by number, or by the name of one of the container's ports.</summary>
    public static int Resolve(IntOrString port, V1Container container) =>
        int.TryParse(port.Value, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : container.Ports?.SingleOrDefault(p => p.Name == port.Value)?.ContainerPort
              ?? throw new InvalidOperationException($"Container {container.Name} has no port named '{port.Value}'.");
}
