using System.Text.Json.Serialization;

namespace Ocirun.Runtime.Cgroups;

/// <summary>The `events` document as runc prints it: {"type": "stats"|"oom", "id", "data"}.</summary>
public sealed class ContainerEvent
{
    public string Type { get; set; } = "";
    public string Id { get; set; } = "";
    public Stats? Data { get; set; }
}

/// <summary>
/// The statistics in runc's order and with its omissions (Go's omitempty: a zero number, an
/// empty list or map is left out, marked WhenWritingDefault or kept null here); map keys sorted.
/// </summary>
public sealed class Stats
{
    public CpuStats Cpu { get; set; } = new();
    [JsonPropertyName("cpuset")] public CpuSetStats CpuSet { get; set; } = new();
    public MemoryStats Memory { get; set; } = new();
    public PidsStats Pids { get; set; } = new();
    public BlkioStats Blkio { get; set; } = new();
    public Dictionary<string, HugetlbStats> Hugetlb { get; set; } = new();
    /// <summary>runc's Intel RDT statistics: none on a host without resctrl, an empty object.</summary>
    [JsonPropertyName("intel_rdt")] public IntelRdtStats IntelRdt { get; set; } = new();
    /// <summary>runc fills this only for its own network namespaces' interfaces, never from cgroups: null.</summary>
    [JsonPropertyName("network_interfaces"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public List<string>? NetworkInterfaces { get; set; }
}

public sealed class IntelRdtStats
{
}

public sealed class CpuSetStats
{
    public List<ushort>? Cpus { get; set; }
    [JsonPropertyName("cpu_exclusive")] public ulong CpuExclusive { get; set; }
    public List<ushort>? Mems { get; set; }
    [JsonPropertyName("mem_hardwall")] public ulong MemHardwall { get; set; }
    [JsonPropertyName("mem_exclusive")] public ulong MemExclusive { get; set; }
    [JsonPropertyName("memory_migrate")] public ulong MemoryMigrate { get; set; }
    [JsonPropertyName("memory_spread_page")] public ulong MemorySpreadPage { get; set; }
    [JsonPropertyName("memory_spread_slab")] public ulong MemorySpreadSlab { get; set; }
    [JsonPropertyName("memory_pressure")] public ulong MemoryPressure { get; set; }
    [JsonPropertyName("sched_load_balance")] public ulong SchedLoadBalance { get; set; }
    [JsonPropertyName("sched_relax_domain_level")] public long SchedRelaxDomainLevel { get; set; }
}

public sealed class CpuStats
{
    public CpuUsage Usage { get; set; } = new();
    public Throttling Throttling { get; set; } = new();
}

public sealed class CpuUsage
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Total { get; set; }
    public List<ulong>? Percpu { get; set; }
    [JsonPropertyName("percpu_kernel")] public List<ulong>? PercpuKernel { get; set; }
    [JsonPropertyName("percpu_user")] public List<ulong>? PercpuUser { get; set; }
    public ulong Kernel { get; set; }
    public ulong User { get; set; }
}

public sealed class Throttling
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Periods { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong ThrottledPeriods { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong ThrottledTime { get; set; }
}

public sealed class MemoryStats
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Cache { get; set; }
    public MemoryEntry Usage { get; set; } = new();
    public MemoryEntry Swap { get; set; } = new();
    public MemoryEntry Kernel { get; set; } = new();
    [JsonPropertyName("kernelTCP")] public MemoryEntry KernelTcp { get; set; } = new();
    public Dictionary<string, ulong>? Raw { get; set; }
}

public sealed class MemoryEntry
{
    public ulong Limit { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Usage { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Max { get; set; }
    public ulong Failcnt { get; set; }
}

/// <summary>Limit 0 where there is none ("max"), as runc reads pids.max.</summary>
public sealed class PidsStats
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Current { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Limit { get; set; }
}

public sealed class BlkioStats
{
    public List<BlkioEntry>? IoServiceBytesRecursive { get; set; }
    public List<BlkioEntry>? IoServicedRecursive { get; set; }
}

public sealed class BlkioEntry
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Major { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Minor { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? Op { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Value { get; set; }
}

public sealed class HugetlbStats
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Usage { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public ulong Max { get; set; }
    public ulong Failcnt { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerEvent))]
public sealed partial class EventsJsonContext : JsonSerializerContext
{
}
