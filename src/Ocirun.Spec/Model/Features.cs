namespace Ocirun.Spec.Model;

/// <summary>The runtime-spec features document printed by `features`.</summary>
public sealed class Features
{
    public string OciVersionMin { get; set; } = "";
    public string OciVersionMax { get; set; } = "";
    public List<string> Hooks { get; set; } = new();
    public List<string> MountOptions { get; set; } = new();
    public LinuxFeatures Linux { get; set; } = new();
    public Dictionary<string, string> Annotations { get; set; } = new();
    public List<string> PotentiallyUnsafeConfigAnnotations { get; set; } = new();
}

public sealed class LinuxFeatures
{
    public List<string> Namespaces { get; set; } = new();
    public List<string> Capabilities { get; set; } = new();
    public CgroupFeatures Cgroup { get; set; } = new();
    public SeccompFeatures Seccomp { get; set; } = new();
    public EnabledFeature Apparmor { get; set; } = new();
    public EnabledFeature Selinux { get; set; } = new();
    public EnabledFeature IntelRdt { get; set; } = new();
    public MountExtensions MountExtensions { get; set; } = new();
}

public sealed class CgroupFeatures
{
    public bool V1 { get; set; }
    public bool V2 { get; set; }
    public bool Systemd { get; set; }
    public bool SystemdUser { get; set; }
    public bool Rdma { get; set; }
}

public sealed class SeccompFeatures
{
    public bool Enabled { get; set; }
    public List<string> Actions { get; set; } = new();
    public List<string> Operators { get; set; } = new();
    public List<string> Archs { get; set; } = new();
    public List<string> KnownFlags { get; set; } = new();
    public List<string> SupportedFlags { get; set; } = new();
}

public sealed class EnabledFeature
{
    public bool Enabled { get; set; }
}

public sealed class MountExtensions
{
    public EnabledFeature Idmap { get; set; } = new();
}
