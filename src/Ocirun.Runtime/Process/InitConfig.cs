namespace Ocirun.Runtime.Process;

/// <summary>What the parent tells the managed init stage, as one binary frame (<see cref="InitFrame"/>).</summary>
public sealed class InitConfig
{
    /// <summary>The spec, as far as the init uses it (<see cref="InitSpecFields"/>).</summary>
    public Spec.Model.Spec Spec { get; set; } = new();
    public string Rootfs { get; set; } = "";
    public bool NoPivot { get; set; }
    public bool NoNewKeyring { get; set; }
    /// <summary>O_PATH fd of exec.fifo in the init, or -1.</summary>
    public int FifoFd { get; set; } = -1;
    public int ConsoleSocketFd { get; set; } = -1;
    /// <summary>The terminal goes to the runtime's own relay (foreground run/exec): its output is not translated.</summary>
    public bool ConsoleRelayed { get; set; }
    /// <summary>Fds 3 .. 3+PreserveFds-1 go on to the container process; every other fd is closed at exec.</summary>
    public int PreserveFds { get; set; }
    /// <summary>The compiled seccomp filter (libseccomp ran in the parent) and its seccomp(2) flags.</summary>
    public byte[]? SeccompBpf { get; set; }
    public uint SeccompFlags { get; set; }
    public Dictionary<string, string> CgroupPaths { get; set; } = new();
    /// <summary>An exec into a running container: no rootfs work, no exec fifo.</summary>
    public bool Exec { get; set; }
    /// <summary>The init is in a mount namespace of the container's own (new, or joined by path).</summary>
    public bool OwnMountNamespace { get; set; }
    public bool NewCgroupNamespace { get; set; }
    /// <summary>In a user namespace (new or joined by path): device nodes are bound from the host, not made.</summary>
    public bool InUserNamespace { get; set; }
    /// <summary>Spec mount index → fd (in the init) of a bind source the parent took on the host.</summary>
    public Dictionary<int, int> MountSources { get; set; } = new();
    /// <summary>Spec mount indexes whose source the init asks the parent for when it gets there.</summary>
    public List<int> MountSourceRequests { get; set; } = [];
    /// <summary>Whether the parent runs prestart/createRuntime hooks at the init's request.</summary>
    public bool ParentHooks { get; set; }
    /// <summary>The container has a cpuset (linux.resources.cpu.cpus): SCHED_DEADLINE then cannot work.</summary>
    public bool CpusPinned { get; set; }
}
