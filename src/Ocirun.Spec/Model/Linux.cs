using System.Text.Json.Serialization;

namespace Ocirun.Spec.Model;

public sealed class Linux
{
    public List<IdMapping>? UidMappings { get; set; }
    public List<IdMapping>? GidMappings { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public Resources? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public List<Namespace>? Namespaces { get; set; }
    public List<Device>? Devices { get; set; }
    public Seccomp? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public string? MountLabel { get; set; }
    public Personality? Personality { get; set; }
    public Dictionary<string, TimeOffset>? TimeOffsets { get; set; }
    public IntelRdt? IntelRdt { get; set; }
}

public sealed class Namespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}

public sealed class Device
{
    public string Type { get; set; } = "";
    public string Path { get; set; } = "";
    public long Major { get; set; }
    public long Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class TimeOffset
{
    public long Secs { get; set; }
    public uint Nanosecs { get; set; }
}

public sealed class Personality
{
    public string Domain { get; set; } = "";
    public List<string>? Flags { get; set; }
}

public sealed class IntelRdt
{
    public string? ClosID { get; set; }
    public string? L3CacheSchema { get; set; }
    public string? MemBwSchema { get; set; }
    public List<string>? Schemata { get; set; }
    public bool? EnableMonitoring { get; set; }
}

public sealed class Seccomp
{
    public string DefaultAction { get; set; } = "";
    public uint? DefaultErrnoRet { get; set; }
    public List<string>? Architectures { get; set; }
    public List<string>? Flags { get; set; }
    public string? ListenerPath { get; set; }
    public string? ListenerMetadata { get; set; }
    public List<SeccompSyscall>? Syscalls { get; set; }
}

public sealed class SeccompSyscall
{
    public List<string> Names { get; set; } = new();
    public string Action { get; set; } = "";
    public uint? ErrnoRet { get; set; }
    public List<SeccompArg>? Args { get; set; }
}

public sealed class SeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    public string Op { get; set; } = "";
}

public sealed class Resources
{
    public List<DeviceCgroup>? Devices { get; set; }
    public MemoryResources? Memory { get; set; }
    public CpuResources? Cpu { get; set; }
    public PidsResources? Pids { get; set; }
    public BlockIo? BlockIO { get; set; }
    public List<HugepageLimit>? HugepageLimits { get; set; }
    public NetworkResources? Network { get; set; }
    public Dictionary<string, string>? Unified { get; set; }
    public Dictionary<string, RdmaLimit>? Rdma { get; set; }
}

public sealed class DeviceCgroup
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}

public sealed class MemoryResources
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
    public long? Kernel { get; set; }
    public long? KernelTCP { get; set; }
    public ulong? Swappiness { get; set; }
    public bool? DisableOOMKiller { get; set; }
    public bool? UseHierarchy { get; set; }
    public bool? CheckBeforeUpdate { get; set; }
}

public sealed class CpuResources
{
    public ulong? Shares { get; set; }
    public long? Quota { get; set; }
    public ulong? Burst { get; set; }
    public ulong? Period { get; set; }
    public long? RealtimeRuntime { get; set; }
    public ulong? RealtimePeriod { get; set; }
    public string? Cpus { get; set; }
    public string? Mems { get; set; }
    public long? Idle { get; set; }
}

public sealed class PidsResources
{
    public long? Limit { get; set; }
}

public sealed class BlockIo
{
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
    public List<WeightDevice>? WeightDevice { get; set; }
    public List<ThrottleDevice>? ThrottleReadBpsDevice { get; set; }
    public List<ThrottleDevice>? ThrottleWriteBpsDevice { get; set; }
    [JsonPropertyName("throttleReadIOPSDevice")] public List<ThrottleDevice>? ThrottleReadIopsDevice { get; set; }
    [JsonPropertyName("throttleWriteIOPSDevice")] public List<ThrottleDevice>? ThrottleWriteIopsDevice { get; set; }
}

public sealed class WeightDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
}

public sealed class ThrottleDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ulong Rate { get; set; }
}

public sealed class HugepageLimit
{
    public string PageSize { get; set; } = "";
    public ulong Limit { get; set; }
}

public sealed class NetworkResources
{
    [JsonPropertyName("classID")] public uint? ClassId { get; set; }
    public List<NetworkPriority>? Priorities { get; set; }
}

public sealed class NetworkPriority
{
    public string Name { get; set; } = "";
    public uint Priority { get; set; }
}

public sealed class RdmaLimit
{
    public uint? HcaHandles { get; set; }
    public uint? HcaObjects { get; set; }
}
