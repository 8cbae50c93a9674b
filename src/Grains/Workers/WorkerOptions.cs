using System.ComponentModel.DataAnnotations;

namespace UNetPP.Cluster.Grains.Workers;

/// <summary>The silo's inference settings (section <c>Inference</c>).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Inference";

    /// <summary>Comma-separated devices, one worker each: <c>cpu</c>, or <c>cuda:0,cuda:1</c>.</summary>
    [Required]
    public string Devices { get; set; } = "cpu";

    /// <summary>Tiles per model run, for jobs that do not set their own.</summary>
    [Range(1, 1024)]
    public int BatchSize { get; set; } = 4;

    /// <summary>CPU threads per operator; 0 lets ONNX Runtime use every core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>Shards one worker holds at once: enough that its batches fill while one shard's images are read or written.</summary>
    [Range(1, 64)]
    public int ShardsPerWorker { get; set; } = 2;

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

    /// <summary>Where models from blob storage are kept once downloaded.</summary>
    public string ModelCache { get; set; } = Path.Combine(Path.GetTempPath(), "unetpp-models");
}
