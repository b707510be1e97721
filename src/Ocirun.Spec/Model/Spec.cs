using System.Text.Json.Serialization;

namespace Ocirun.Spec.Model;

/// <summary>config.json of an OCI bundle (runtime-spec 1.0.0 to 1.3.x).</summary>
public sealed class Spec
{
    public string OciVersion { get; set; } = "";
    public Root? Root { get; set; }
    public Process? Process { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public List<Mount>? Mounts { get; set; }
    public Hooks? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public Linux? Linux { get; set; }
}

public sealed class Root
{
    public string Path { get; set; } = "";
    public bool Readonly { get; set; }
}

public sealed class Process
{
    public bool Terminal { get; set; }
    public ConsoleSize? ConsoleSize { get; set; }
    public User User { get; set; } = new();
    public List<string>? Args { get; set; }
    public string? CommandLine { get; set; }
    public List<string>? Env { get; set; }
    public string Cwd { get; set; } = "";
    public Capabilities? Capabilities { get; set; }
    public List<Rlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public Scheduler? Scheduler { get; set; }
    public string? SelinuxLabel { get; set; }
    public IoPriority? IoPriority { get; set; }
    /// <summary>Runtime-spec 1.2: CPUs for a process exec'd into the container (never the init).</summary>
    public ExecCpuAffinity? ExecCPUAffinity { get; set; }
}

public sealed class ExecCpuAffinity
{
    public string? Initial { get; set; }
    public string? Final { get; set; }
}

public sealed class ConsoleSize
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}

public sealed class User
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint>? AdditionalGids { get; set; }
    public string? Username { get; set; }
}

public sealed class Capabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}

public sealed class Rlimit
{
    public string Type { get; set; } = "";
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}

public sealed class Scheduler
{
    public string Policy { get; set; } = "";
    public int? Nice { get; set; }
    public int? Priority { get; set; }
    public List<string>? Flags { get; set; }
    public ulong? Runtime { get; set; }
    public ulong? Deadline { get; set; }
    public ulong? Period { get; set; }
}

public sealed class IoPriority
{
    public string Class { get; set; } = "";
    public int Priority { get; set; }
}

public sealed class Mount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
    public List<IdMapping>? UidMappings { get; set; }
    public List<IdMapping>? GidMappings { get; set; }
}

public sealed class Hooks
{
    public List<Hook>? Prestart { get; set; }
    public List<Hook>? CreateRuntime { get; set; }
    public List<Hook>? CreateContainer { get; set; }
    public List<Hook>? StartContainer { get; set; }
    public List<Hook>? Poststart { get; set; }
    public List<Hook>? Poststop { get; set; }
}

public sealed class Hook
{
    public string Path { get; set; } = "";
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public int? Timeout { get; set; }
}

public sealed class IdMapping
{
    [JsonPropertyName("containerID")] public uint ContainerId { get; set; }
    [JsonPropertyName("hostID")] public uint HostId { get; set; }
    public uint Size { get; set; }
}
