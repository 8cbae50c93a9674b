using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace UNetPP.Cluster.Segmentation.Inference;

/// <summary>
/// One batch's input [Capacity, C, H, W] and output [Capacity, K, H, W] in host buffers that live as
/// long as the batch, wrapped in OrtValues and bound to the session once per batch size, so that a run
/// creates no OrtValue and no binding. On CUDA the buffers come from the provider's pinned
/// (page-locked) allocator, so the upload and the download are one DMA copy each; on the CPU they are
/// native memory from ONNX Runtime's CPU allocator, which the operators read and write in place and the
/// garbage collector never moves. Used by one thread at a time.
/// </summary>
public sealed class PinnedBatch : IDeviceBatch
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly string _inputName;
    private readonly string _outputName;

    /// <summary>The CUDA pinned allocator, owned here; null for the CPU allocator, which is shared.</summary>
    private readonly OrtAllocator? _pinnedAllocator;
    private readonly HostBuffer _input;
    private readonly HostBuffer _output;

    /// <summary>Index n − 1 holds the binding for batches of n tiles; a partial batch needs its own shape.</summary>
    private readonly Binding?[] _bindings;

    internal PinnedBatch(
        InferenceSession session, RunOptions runOptions, string inputName, string outputName, TileShape shape, int capacity, OrtAllocator? pinnedAllocator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _session = session;
        _runOptions = runOptions;
        _inputName = inputName;
        _outputName = outputName;
        _pinnedAllocator = pinnedAllocator;
        Shape = shape;
        Capacity = capacity;
        _bindings = new Binding?[capacity];
        HostBuffer? input = null;
        try
        {
            var allocator = pinnedAllocator ?? OrtAllocator.DefaultInstance;
            input = new HostBuffer(allocator, capacity * shape.InputLength);
            _output = new HostBuffer(allocator, capacity * shape.OutputLength);
            _input = input;
        }
        catch
        {
            input?.Dispose();
            pinnedAllocator?.Dispose();
            throw;
        }
    }

    public TileShape Shape { get; }

    /// <summary>Most tiles in one run.</summary>
    public int Capacity { get; }

    /// <summary>Where the next run's tiles go, one after another.</summary>
    public Span<float> Input => _input.Span;

    /// <summary>Where a run's results are, one tile after another.</summary>
    public Span<float> Output => _output.Span;

    /// <summary>Batch sizes bound so far: each is bound on its first run and kept.</summary>
    public int BoundSizes => _bindings.Count(b => b is not null);

    /// <summary>Runs the first <paramref name="count"/> tiles of <see cref="Input"/> into the start of <see cref="Output"/>.</summary>
    public void Run(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        var binding = _bindings[count - 1] ??= Bind(count);

        // ONNX Runtime copies a host input to the device when it is bound, not when the model runs, so
        // the input is bound again before every run: that is this batch's one upload. On the CPU the
        // binding only points at the buffer. The output stays bound; the run writes (or copies) into it.
        binding.IoBinding.BindInput(_inputName, binding.Input);

        // The run synchronises the device before it returns (ONNX Runtime's default), so the
        // output is in host memory once it does.
        _session.RunWithBinding(_runOptions, binding.IoBinding);
    }

    public void Dispose()
    {
        foreach (var binding in _bindings)
        {
            binding?.Dispose();
        }

        _input.Dispose();
        _output.Dispose();
        _pinnedAllocator?.Dispose();
    }

    private Binding Bind(int count)
    {
        var input = _input.View([count, Shape.Channels, Shape.Height, Shape.Width]);
        OrtValue? output = null;
        OrtIoBinding? ioBinding = null;
        try
        {
            output = _output.View([count, Shape.Classes, Shape.Height, Shape.Width]);
            ioBinding = _session.CreateIoBinding();
            ioBinding.BindOutput(_outputName, output);
            return new Binding(input, output, ioBinding);
        }
        catch
        {
            ioBinding?.Dispose();
            output?.Dispose();
            input.Dispose();
            throw;
        }
    }

    /// <summary>The views of one batch size over the shared buffers, and the binding that names them.</summary>
    private sealed record Binding(OrtValue Input, OrtValue Output, OrtIoBinding IoBinding) : IDisposable
    {
        public void Dispose()
        {
            IoBinding.Dispose();
            Input.Dispose();
            Output.Dispose();
        }
    }

    /// <summary>Host memory from an ONNX Runtime allocator, which never moves, and the memory info that says what kind it is.</summary>
    private sealed class HostBuffer : IDisposable
    {
        private readonly OrtValue _owner;
        private readonly OrtMemoryInfo _info;
        private readonly IntPtr _pointer;
        private readonly int _length;

        public unsafe HostBuffer(OrtAllocator allocator, int length)
        {
            _owner = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, [length]);
            _info = _owner.GetTensorMemoryInfo();
            _pointer = (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_owner.GetTensorMutableDataAsSpan<float>()));
            _length = length;
        }

        public unsafe Span<float> Span => new((void*)_pointer, _length);

        /// <summary>A tensor of <paramref name="shape"/> over the start of the buffer.</summary>
        public OrtValue View(long[] shape)
        {
            var elements = shape.Aggregate(1L, (product, d) => product * d);
            return OrtValue.CreateTensorValueWithData(_info, TensorElementType.Float, shape, _pointer, elements * sizeof(float));
        }

        public void Dispose() => _owner.Dispose();
    }
}
