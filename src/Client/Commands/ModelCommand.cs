using System.CommandLine;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp model</c>: make a NestedUNet ONNX file, or say what a model file holds and what each mode costs.</summary>
internal static class ModelCommand
{
    public static Command Create(Terminal terminal) =>
        new("model", "Build a UNet++ model file, import a bioimage.io package, quantise one to int8, or show what a model file holds and what each inference mode costs.")
        {
            new ModelBuildCommand(terminal),
            new ModelInfoCommand(terminal),
            new ModelImportCommand(terminal),
            new ModelQuantizeCommand(terminal),
        };
}
