using System.ComponentModel.DataAnnotations;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>The silo's inference settings (section <c>Inference</c>).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Inference";

    /// <summary>
    /// Comma-separated devices, one worker each: <c>cpu</c>, <c>cuda:0,cuda:1</c>, or <c>auto</c> (CUDA
    /// device 0 when it can be used, else the CPU with a warning). A CUDA device named that cannot be
    /// used stops the silo at start, saying what failed to load.
    /// </summary>
    [Required]
    public string Devices { get; set; } = "cpu";

    /// <summary>Tiles per model run, for jobs that do not set their own.</summary>
    [Range(1, 1024)]
    public int BatchSize { get; set; } = 4;

    /// <summary>
    /// Batches one device runs at once, each with its own pinned buffers: 2 lets a GPU copy one batch
    /// while it computes another. 1 (the default) runs one batch at a time.
    /// </summary>
    [Range(1, Segmentation.Engine.SegmentationOptions.MaxInFlightBatches)]
    public int InFlightBatches { get; set; } = 1;

    /// <summary>CPU threads per operator; 0 lets ONNX Runtime use every core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's CPU threads spin between operators (<c>Inference:Spinning</c>, off): only for
    /// silos whose cores do nothing but inference (see <see cref="Segmentation.Inference.DeviceSessionOptions.Spinning"/>).
    /// </summary>
    public bool Spinning { get; set; }

    /// <summary>Shards one worker holds at once: enough that its batches fill while one shard's images are read or written.</summary>
    [Range(1, 64)]
    public int ShardsPerWorker { get; set; } = 2;

    /// <summary>
    /// How long one model run may take before the device counts as hung: its worker then gives its
    /// shards back for others to finish and takes no more work. Far above any real batch's time.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a worker waits out storage that does not answer (connection refused, timeouts, server
    /// errors) before it counts the image as a failed try: an outage this short fails nothing.
    /// </summary>
    public TimeSpan StorageOutageTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle worker asks for work.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopping silo lets its shards finish before it hands the rest back.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The model every device opens when the silo starts, before it says it is ready (<c>/readyz</c>): a
    /// path or blob location, <c>default</c> for the built-in model, or empty for none. Jobs with the same
    /// model and settings then start without that cost.
    /// </summary>
    public string? WarmupModel { get; set; }

    /// <summary>The CUDA provider's settings for every <c>cuda:N</c> device (section <c>Inference:Cuda</c>).</summary>
    public CudaOptions Cuda { get; set; } = new();

    /// <summary>Where models from blob storage are kept once downloaded.</summary>
    public string ModelCache { get; set; } = Path.Combine(Path.GetTempPath(), "unetpp-models");

    /// <summary>How a session on <paramref name="device"/> is built with these settings.</summary>
    public Segmentation.Inference.DeviceSessionOptions SessionOn(Segmentation.Inference.InferenceDevice device) =>
        new() { Device = device, IntraOpThreads = Threads, Spinning = Spinning, Cuda = Cuda.ToSettings() };
}

/// <summary>Settings <c>Inference:Cuda:*</c>; see <see cref="Segmentation.Inference.CudaSettings"/> for what each does.</summary>
public sealed class CudaOptions
{
    /// <summary>Most bytes each device's memory arena may take; empty for no limit.</summary>
    public long? MemoryLimitBytes { get; set; }

    /// <summary><c>Exhaustive</c> (default), <c>Heuristic</c> or <c>Default</c>.</summary>
    public string ConvolutionSearch { get; set; } = nameof(Segmentation.Inference.ConvolutionSearch.Exhaustive);

    public bool CopyInDefaultStream { get; set; } = true;

    public bool MaxWorkspace { get; set; } = true;

    /// <summary>True when the settings can be used; otherwise throws with every problem, each naming its setting.</summary>
    public bool Validated()
    {
        var problems = Problems();
        return problems.Count == 0
            ? true
            : throw new Microsoft.Extensions.Options.OptionsValidationException(WorkerOptions.SectionName, typeof(WorkerOptions), problems);
    }

    private List<string> Problems()
    {
        var problems = new List<string>();
        if (MemoryLimitBytes is <= 0)
        {
            problems.Add($"Inference:Cuda:MemoryLimitBytes {MemoryLimitBytes}: a memory limit is a positive number of bytes (or unset for none).");
        }

        if (!Enum.TryParse<Segmentation.Inference.ConvolutionSearch>(ConvolutionSearch, ignoreCase: true, out _) || int.TryParse(ConvolutionSearch, out _))
        {
            problems.Add($"Inference:Cuda:ConvolutionSearch '{ConvolutionSearch}': use Exhaustive, Heuristic or Default.");
        }

        return problems;
    }

    public Segmentation.Inference.CudaSettings ToSettings() => new()
    {
        MemoryLimitBytes = MemoryLimitBytes,
        ConvolutionSearch = Enum.Parse<Segmentation.Inference.ConvolutionSearch>(ConvolutionSearch, ignoreCase: true),
        CopyInDefaultStream = CopyInDefaultStream,
        MaxWorkspace = MaxWorkspace,
    };
}
