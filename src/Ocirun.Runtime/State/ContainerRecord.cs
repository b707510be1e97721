using Ocirun.Spec.Model;

namespace Ocirun.Runtime.State;

/// <summary>
/// What the runtime remembers of a container in ROOT/ID/state.bin (<see cref="RecordCodec"/>): everything later
/// commands need, because callers do not repeat create-time flags.
/// </summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string OciVersion { get; set; } = "";
    public int InitPid { get; set; }
    public ulong InitStartTime { get; set; }
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public string Created { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
    public Dictionary<string, string> CgroupPaths { get; set; } = new();
    /// <summary>The scope unit when the container was made with --systemd-cgroup.</summary>
    public string? SystemdUnit { get; set; }
    /// <summary>Whether that unit is the caller's own systemd's (rootless: its session bus).</summary>
    public bool SystemdUserBus { get; set; }
    public bool NoPivot { get; set; }
    public Spec.Model.Hooks? Hooks { get; set; }
}
