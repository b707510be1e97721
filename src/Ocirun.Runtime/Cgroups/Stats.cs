using System.Text.Json.Serialization;

namespace Ocirun.Runtime.Cgroups;

/// <summary>The `events` document as runc prints it: {"type": "stats"|"oom", "id", "data"}.</summary>
public sealed class ContainerEvent
{
    public string Type { get; set; } = "";
    public string Id { get; set; } = "";
    public Stats? Data { get; set; }
}

public sealed class Stats
{
    public CpuStats Cpu { get; set; } = new();
    public MemoryStats Memory { get; set; } = new();
    public PidsStats Pids { get; set; } = new();
    public BlkioStats Blkio { get; set; } = new();
    public Dictionary<string, HugetlbStats> Hugetlb { get; set; } = new();
}

public sealed class CpuStats
{
    public CpuUsage Usage { get; set; } = new();
    public Throttling Throttling { get; set; } = new();
}

public sealed class CpuUsage
{
    public ulong Total { get; set; }
    public List<ulong>? Percpu { get; set; }
    public ulong Kernel { get; set; }
    public ulong User { get; set; }
}

public sealed class Throttling
{
    public ulong Periods { get; set; }
    public ulong ThrottledPeriods { get; set; }
    public ulong ThrottledTime { get; set; }
}

public sealed class MemoryStats
{
    public ulong Cache { get; set; }
    public MemoryEntry Usage { get; set; } = new();
    public MemoryEntry Swap { get; set; } = new();
    public MemoryEntry Kernel { get; set; } = new();
    [JsonPropertyName("kernelTCP")] public MemoryEntry KernelTcp { get; set; } = new();
    public Dictionary<string, ulong> Raw { get; set; } = new();
}

public sealed class MemoryEntry
{
    public ulong Limit { get; set; }
    public ulong Usage { get; set; }
    public ulong Max { get; set; }
    public ulong Failcnt { get; set; }
}

public sealed class PidsStats
{
    public ulong Current { get; set; }
    public ulong Limit { get; set; }
}

public sealed class BlkioStats
{
    public List<BlkioEntry>? IoServiceBytesRecursive { get; set; }
    public List<BlkioEntry>? IoServicedRecursive { get; set; }
}

public sealed class BlkioEntry
{
    public ulong Major { get; set; }
    public ulong Minor { get; set; }
    public string Op { get; set; } = "";
    public ulong Value { get; set; }
}

public sealed class HugetlbStats
{
    public ulong Usage { get; set; }
    public ulong Max { get; set; }
    public ulong Failcnt { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerEvent))]
public sealed partial class EventsJsonContext : JsonSerializerContext
{
}
