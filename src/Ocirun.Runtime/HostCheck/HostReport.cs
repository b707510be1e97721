using System.Text.Json.Serialization;

namespace Ocirun.Runtime.HostCheck;

/// <summary>What `ocirun check` found on this host, and what ocirun can do here because of it.</summary>
public sealed class HostReport
{
    public string Kernel { get; set; } = "";
    /// <summary>Namespace type (as /proc/self/ns names it) → whether the kernel has it.</summary>
    public SortedDictionary<string, bool> Namespaces { get; set; } = new();
    /// <summary>"cgroup2" (unified only), "hybrid" (v1 controllers and a cgroup2 tree) or "v1".</summary>
    public string CgroupMode { get; set; } = "";
    /// <summary>The controllers that limits can use: v1 hierarchies' on v1/hybrid, cgroup2's otherwise.</summary>
    public List<string> CgroupControllers { get; set; } = [];
    /// <summary>System call (or facility) → whether the kernel answers it.</summary>
    public SortedDictionary<string, bool> Syscalls { get; set; } = new();
    public List<string> Lsms { get; set; } = [];
    /// <summary>Whether a non-root user may create a user namespace (Debian's sysctl and user.max_user_namespaces allow it).</summary>
    public bool UnprivilegedUserns { get; set; }
    /// <summary>Where shadow's newuidmap is, which maps /etc/subuid ranges for rootless users; null without it.</summary>
    public string? Newuidmap { get; set; }
    public CriuFacts Criu { get; set; } = new();
    public List<FeatureVerdict> Features { get; set; } = [];
}

public sealed class CriuFacts
{
    public string? Path { get; set; }
    public string? Version { get; set; }
    /// <summary>Whether `criu check` passes (the RPC CHECK request).</summary>
    public bool? Check { get; set; }
    /// <summary>Soft-dirty memory tracking (pre-dump, incremental checkpoints).</summary>
    public bool? MemTrack { get; set; }
    /// <summary>userfaultfd usable for lazy pages (lazy migration).</summary>
    public bool? LazyPages { get; set; }
    public bool? PidfdStore { get; set; }
    /// <summary>Why nothing more is known (not found, failed to answer).</summary>
    public string? Error { get; set; }
}

public sealed record FeatureVerdict(string Name, bool Works, string? Because = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HostReport))]
public sealed partial class HostCheckJsonContext : JsonSerializerContext
{
}
