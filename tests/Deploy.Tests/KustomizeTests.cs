using k8s.Models;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>
/// The kustomize files name files that exist, and the overlays' patches reach into the base
/// objects at paths that are there (kustomize fails on a path that is not, or an image it cannot find
/// is left as it was without a word).
/// </summary>
public sealed class KustomizeTests
{
    private const string Base = "deploy/kubernetes/base";
    private const string Cpu = "deploy/kubernetes/cpu";
    private const string Autoscale = "deploy/kubernetes/autoscale";

    // The operations that need their path to be there already.
    private static readonly string[] Operations = ["remove", "replace"];

    [Fact]
    public void TheBaseListsEveryManifestInItsFolder()
    {
        var resources = YamlNode.Load($"{Base}/kustomization.yaml")["resources"].Items.Select(r => $"{Base}/{r.Text}");

        Assert.Equal(
            Repo.FilesUnder(Base, ".yaml").Where(f => !f.EndsWith("/kustomization.yaml", StringComparison.Ordinal)),
            resources.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheCpuOverlayBuildsOnTheBase()
    {
        var overlay = YamlNode.Load($"{Cpu}/kustomization.yaml");

        Assert.Equal("../base", Assert.Single(overlay["resources"].Items).Text);
        Assert.True(Repo.Exists($"{Base}/kustomization.yaml"));
    }

    [Fact]
    public void TheCpuOverlayRunsTheCpuSiloImageOnTheCpu()
    {
        var overlay = YamlNode.Load($"{Cpu}/kustomization.yaml");
        var image = Assert.Single(overlay["images"].Items);
        var siloImage = Assert.Single(KubernetesManifests.Single<V1Deployment>().Spec.Template.Spec.Containers).Image;

        Assert.Equal(siloImage.Split(':')[0], image["name"].Text);
        Assert.Equal("unetpp-silo", image["newName"].Text);
        var settings = Patches(overlay).Single(p => p.Kind == "ConfigMap");
        Assert.Contains(settings.Operations, o => o["path"].Text == "/data/Inference__Devices" && o["value"].Text == "cpu");
        var silos = Patches(overlay).Single(p => p.Kind == "Deployment");
        Assert.Contains(silos.Operations, o => o["op"].Text == "remove" && o["path"].Text.EndsWith("/limits/nvidia.com~1gpu", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Cpu)]
    [InlineData(Autoscale)]
    public void EveryPatchOfAnOverlayFindsItsPath(string folder)
    {
        var overlay = YamlNode.Load($"{folder}/kustomization.yaml");
        var targets = Repo.FilesUnder(Base, ".yaml")
            .Where(f => !f.EndsWith("/kustomization.yaml", StringComparison.Ordinal))
            .Select(YamlNode.Load)
            .ToList();

        Assert.All(Patches(overlay), patch =>
        {
            var target = Assert.Single(targets, t => t["kind"].Text == patch.Kind && t["metadata"]["name"].Text == patch.Name);
            Assert.All(patch.Operations, operation =>
            {
                Assert.Contains(operation["op"].Text, Operations);
                Assert.True(Pointer(target, operation["path"].Text) is not null, $"{target.Where}: no {operation["path"].Text} for the overlay's {operation["op"].Text}.");
            });
        });
    }

    private static IEnumerable<(string Kind, string Name, IReadOnlyList<YamlNode> Operations)> Patches(YamlNode overlay) =>
        overlay["patches"].Items.Select(p =>
            (p["target"]["kind"].Text, p["target"]["name"].Text, YamlNode.Parse(p["patch"].Text, $"{p.Where}.patch").Items));

    /// <summary>The node a JSON pointer (RFC 6901: '/'-separated, ~1 for '/', ~0 for '~') names; null where there is none.</summary>
    private static YamlNode? Pointer(YamlNode root, string pointer)
    {
        YamlNode? node = root;
        foreach (var raw in pointer.Split('/').Skip(1))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                { IsMapping: true } => node.Find(token),
                { IsSequence: true } when int.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < node.Items.Count => node.Items[i],
                _ => null,
            };
        }

        return node;
    }
}
