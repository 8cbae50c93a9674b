using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The images start the documented programs, are built from paths that exist and reach the builder, and listen where the silo's settings say.</summary>
public sealed partial class DockerfileTests
{
    private const string File = "deploy/docker/Dockerfile";

    private static Dockerfile Images => Dockerfile.Load(File);

    [Theory]
    [InlineData("silo", "src/Silo/Silo.csproj")]
    [InlineData("silo-gpu", "src/Silo/Silo.csproj")]
    [InlineData("client", "src/Client/Client.csproj")]
    [InlineData("train", "src/Training/Training.csproj")]
    public void AnImageStartsTheProgramItsProjectBuilds(string stage, string project)
    {
        var program = XDocument.Parse(Repo.Read(project)).Descendants("AssemblyName").Single().Value;
        var entrypoint = Images.Stage(stage).All("ENTRYPOINT").Last();

        Assert.Equal([program], entrypoint.Words);
        Assert.Empty(Images.Stage(stage).All("CMD"));
        Assert.Contains("/app", Images.Stage(stage).Environment["PATH"].Split(':'));
        Assert.Equal("/app", Images.Stage(stage).All("WORKDIR").Last().Arguments);
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("deploy/README.md")]
    public void TheReadmesNameThePrograms(string readme)
    {
        var text = Repo.Read(readme);

        Assert.Contains("`unetpp-silo`", text, StringComparison.Ordinal);
        Assert.Contains("`unetpp`", text, StringComparison.Ordinal);
        Assert.Contains("`unetpp-train`", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheImagesBuildOnTheDotnetAndCudaImages()
    {
        Assert.All(Images.Stages.Where(s => s.Name.StartsWith("publish", StringComparison.Ordinal) || s.Name == "restore"),
            s => Assert.True(s.BaseImage == "mcr.microsoft.com/dotnet/sdk:10.0" || Images.Stages.Any(o => o.Name == s.BaseImage), $"{s.Name} starts from {s.BaseImage}."));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Images.Stage("silo").BaseImage);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Images.Stage("client").BaseImage);
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:10.0", Images.Stage("train").BaseImage);
        Assert.Matches(@"^nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu24\.04$", Images.Stage("silo-gpu").BaseImage);
    }

    [Fact]
    public void TheGpuSiloCarriesItsOwnRuntime()
    {
        var publish = Assert.Single(Images.Stage("publish-silo-gpu").All("RUN"));

        Assert.Contains("--self-contained", publish.Words);
        Assert.Equal(("/out", "./"), CopiedFrom("silo-gpu", "publish-silo-gpu"));
    }

    [Fact]
    public void EveryStageCopiedFromIsDefinedBeforeIt()
    {
        var copiesFrom = 0;
        for (var i = 0; i < Images.Stages.Count; i++)
        {
            var earlier = Images.Stages.Take(i).Select(s => s.Name).ToHashSet();
            foreach (var copy in Images.Stages[i].All("COPY"))
            {
                if (copy.Flag("from") is { } from)
                {
                    copiesFrom++;
                    Assert.True(earlier.Contains(from), $"{File}:{copy.Line}: COPY --from={from}, a stage not defined before {Images.Stages[i].Name}.");
                }
            }
        }

        // Each image copies what its publish stage built: a parse that found none would have checked nothing.
        Assert.True(copiesFrom >= 3, $"{File}: only {copiesFrom} COPY --from found.");
    }

    [Fact]
    public void EveryCopiedPathExistsAndReachesTheBuilder()
    {
        var ignore = DockerIgnore.Load(".dockerignore");
        var copies = Images.Stages.SelectMany(s => s.All("COPY")).Where(c => c.Flag("from") is null).ToList();

        Assert.NotEmpty(copies);
        Assert.All(copies.SelectMany(c => c.Operands.SkipLast(1).Select(source => (c.Line, source))), copy =>
        {
            Assert.True(Repo.Exists(copy.source), $"{File}:{copy.Line}: COPY {copy.source}, which is not in the repository.");
            Assert.True(ignore.Sends(copy.source), $"{File}:{copy.Line}: COPY {copy.source}, which .dockerignore keeps out of the build.");
        });
    }

    [Fact]
    public void EveryProjectRestoredOrPublishedExists()
    {
        var commands = Images.Stages.SelectMany(s => s.All("RUN"))
            .SelectMany(r => DotnetCommand().Matches(r.Arguments))
            .ToList();

        Assert.Contains(commands, c => c.Groups["verb"].Value == "publish" && c.Groups["project"].Value == "src/Silo/Silo.csproj");
        Assert.Contains(commands, c => c.Groups["verb"].Value == "publish" && c.Groups["project"].Value == "src/Client/Client.csproj");
        Assert.Contains(commands, c => c.Groups["verb"].Value == "publish" && c.Groups["project"].Value == "src/Training/Training.csproj");
        Assert.All(commands, c => Assert.True(Repo.Exists(c.Groups["project"].Value), $"dotnet {c.Value}: no such project."));
        Assert.All(commands.Where(c => c.Groups["verb"].Value == "publish"), c => Assert.Contains("-c Release", c.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void TheDockerignoreSendsSourceAndKeepsBuildOutputOut()
    {
        var ignore = DockerIgnore.Load(".dockerignore");

        Assert.True(ignore.Sends("src/Silo/Program.cs"));
        Assert.True(ignore.Sends("models/nuclei-unetpp.onnx"));
        Assert.True(ignore.Sends("Directory.Packages.props"));
        Assert.False(ignore.Sends("src/Silo/bin/Release/net10.0/linux-x64/unetpp-silo.dll"));
        Assert.False(ignore.Sends("src/Segmentation/obj/project.assets.json"));
        Assert.False(ignore.Sends(".git/HEAD"));
        Assert.False(ignore.Sends("tests/Deploy.Tests/Deploy.Tests.csproj"));
    }

    [Theory]
    [InlineData("silo")]
    [InlineData("silo-gpu")]
    public void ASiloImageListensOnEveryAddressAtTheSilosPorts(string stage)
    {
        var image = Images.Stage(stage);
        var exposed = image.All("EXPOSE").SelectMany(e => e.Words).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Order();

        Assert.Equal($"http://0.0.0.0:{SiloDefaults.HttpPort}", image.Environment["ASPNETCORE_URLS"]);
        Assert.Equal(new[] { SiloDefaults.HttpPort, SiloDefaults.Cluster.SiloPort, SiloDefaults.Cluster.GatewayPort }.Order(), exposed);
    }

    [Fact]
    public void ComposeAndKubernetesRunTheImagesTheReadmeBuilds()
    {
        var tags = BuildCommand().Matches(Repo.Read("deploy/README.md")).ToDictionary(m => m.Groups["stage"].Value, m => m.Groups["tag"].Value);
        var silos = Assert.Single(KubernetesManifests.Single<k8s.Models.V1Deployment>().Spec.Template.Spec.Containers);
        var job = Assert.Single(KubernetesManifests.Single<k8s.Models.V1Job>().Spec.Template.Spec.Containers);

        Assert.Equal(["client", "silo", "silo-gpu", "train"], tags.Keys.Order(StringComparer.Ordinal));
        Assert.All(Compose.Services.Where(s => s.BuildTarget is not null), s => Assert.Equal($"{tags[s.BuildTarget!]}:latest", s.Node["image"].Text));
        Assert.Equal($"{tags["silo-gpu"]}:latest", silos.Image);
        Assert.Equal($"{tags["client"]}:latest", job.Image);
        Assert.Equal(tags["silo"], Assert.Single(YamlNode.Load("deploy/kubernetes/cpu/kustomization.yaml")["images"].Items)["newName"].Text);
    }

    [Fact]
    public void TheGpuSiloUsesTheGpu()
    {
        Assert.Equal("cuda:0", Images.Stage("silo-gpu").Environment["Inference__Devices"]);
    }

    [Theory]
    [InlineData("silo")]
    [InlineData("silo-gpu")]
    [InlineData("client")]
    [InlineData("train")]
    public void AnImageRunsAsAnOrdinaryUser(string stage)
    {
        var user = Images.Stage(stage).All("USER").Last().Arguments;

        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
    }

    [Theory]
    [InlineData("silo", false)]
    [InlineData("silo-gpu", false)]
    [InlineData("client", false)]
    [InlineData("train", true)]
    public void OnlyTheTrainingImageCarriesLibtorch(string stage, bool carries)
    {
        // libtorch is about 0.8 GB: an image has it when the project its stage publishes references it, directly or not.
        var from = Images.Stage(stage).All("COPY").Select(c => c.Flag("from")).OfType<string>().Single();
        var project = Images.Stage(from).All("RUN").SelectMany(r => DotnetCommand().Matches(r.Arguments))
            .Single(c => c.Groups["verb"].Value == "publish").Groups["project"].Value;

        var torch = ProjectPackages.Of(project).Where(p => p.Equals("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));

        Assert.Equal(carries, torch.Any());
    }

    private static (string Source, string Destination) CopiedFrom(string stage, string from)
    {
        var copy = Images.Stage(stage).All("COPY").Single(c => c.Flag("from") == from);
        return (copy.Operands[0], copy.Operands[1]);
    }

    [GeneratedRegex(@"docker build -f deploy/docker/Dockerfile --target (?<stage>\S+) +-t (?<tag>\S+) \.")]
    private static partial Regex BuildCommand();

    [GeneratedRegex(@"dotnet (?<verb>restore|publish) (?<project>\S+\.csproj)[^&]*")]
    private static partial Regex DotnetCommand();
}
