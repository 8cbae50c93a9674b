using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UNetPP.Cluster.Training;

/// <summary>
/// The seed's VGGBlock: 3×3 convolution (padding 1, bias), batch norm, ReLU, twice. Its children are
/// registered under the seed's names, so its state is <c>conv1.weight</c>, <c>bn1.running_var</c>, ….
/// </summary>
internal sealed class VggBlock : nn.Module<Tensor, Tensor>
{
    private const double BatchNormEpsilon = 1e-5;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;

    public VggBlock(long inChannels, long middleChannels, long outChannels)
        : base("VGGBlock")
    {
        conv1 = nn.Conv2d(inChannels, middleChannels, kernel_size: 3, padding: 1);
        bn1 = nn.BatchNorm2d(middleChannels, eps: BatchNormEpsilon);
        conv2 = nn.Conv2d(middleChannels, outChannels, kernel_size: 3, padding: 1);
        bn2 = nn.BatchNorm2d(outChannels, eps: BatchNormEpsilon);

        // Registration order is the seed's, so the state dict lists tensors in the same order too.
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
    }

    /// <summary>Intermediate tensors are left to the caller's dispose scope (see <see cref="NestedUNet.forward"/>).</summary>
    public override Tensor forward(Tensor input) =>
        nn.functional.relu(bn2.call(conv2.call(nn.functional.relu(bn1.call(conv1.call(input))))));
}
