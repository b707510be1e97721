using System.Text;
using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Rootfs;
using Ocirun.Runtime.Security;
using Ocirun.Runtime.State;
using Ocirun.Runtime.Sync;
using Ocirun.Spec.Known;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Process;

/// <summary>
/// The host side of container creation: starts `ocirun init` from a sealed copy of this
/// binary, answers the native stage (id maps, pid) and the managed stage (hooks, ready).
/// </summary>
internal sealed class ParentProcess
{
    public required string Id { get; init; }
    public required string Bundle { get; init; }
    public required Spec.Model.Spec Spec { get; init; }
    /// <summary>
    /// Spec's seccomp profile compiled: given by an exec (from the container's state), or
    /// compiled by Start while the native stage makes the namespaces (create).
    /// </summary>
    public Seccomp.SeccompProgram? Seccomp { get; set; }
    public required string Rootfs { get; init; }
    public required CgroupManager Cgroups { get; init; }
    public string? FifoPath { get; init; }
    public string? ConsoleSocket { get; init; }
    public int ConsoleFd { get; init; } = -1;
    /// <summary>--pidfd-socket: where a pidfd of the container's process goes once it exists.</summary>
    public string? PidfdSocket { get; init; }
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>For exec: the host pid of the running init whose namespaces the process joins.</summary>
    public int ExecInto { get; init; }

    /// <summary>The init's host pid once it exists, so a failure can kill it.</summary>
    public int InitPid { get; private set; }

    /// <summary>Starts the init and returns once it waits on the exec fifo.</summary>
    public int Start()
    {
        // Connected before any process exists: a socket nobody listens on fails at once, and,
        // as in runc, before the process start that the failures below are part of.
        using var pidfdSocket = new Fd(PidfdSocket != null ? FdPassing.Connect(PidfdSocket, "pidfd socket") : -1);
        _pidfdSocket = pidfdSocket.Value;
        // runc's words for whatever stops the process from starting, in create, run and exec.
        return PrefixedException.Around("unable to start container process: ", StartProcess);
    }

    private int StartProcess()
    {
        // Limits first: what the host cannot do fails before any process exists. A systemd
        // scope cannot exist without a process: it is made for the first one (Drive).
        if (!NewScope)
        {
            Cgroups.Prepare(ExecInto == 0 ? Spec.Linux?.Resources ?? new Spec.Model.Resources() : null);
        }
        if (ExecInto == 0 && Spec.Linux?.Namespaces is { } declared
            && declared.FirstOrDefault(n => n.Type == NamespaceTypes.User && !string.IsNullOrEmpty(n.Path)) is { } userNs)
        {
            NamespaceOwner.RequireUsable(declared.Where(n => n.Type != NamespaceTypes.User && !string.IsNullOrEmpty(n.Path))
                .Select(n => (n.Type, n.Path!)), userNs.Path!);
        }
        var (parentEnd, childEnd) = Sys.SocketPair(SOCK_STREAM);
        using var sync = new SyncSocket(parentEnd);
        int stage0;
        // Our copy of the child's end must go at once after the spawn: the init's death then
        // shows as end of stream. The others are the child's copies too.
        using (var toClose = new FdSet())
        {
            toClose.Add(childEnd);
            int exe = SealedExe.Create();
            toClose.Add(exe);
            int baseFd = 3 + PreserveFds;
            var fdMap = new List<(int, int)>();
            for (int i = 3; i < baseFd; i++)
            {
                fdMap.Add((i, i));
            }
            fdMap.Add((childEnd, baseFd));
            if (FifoPath != null)
            {
                int f = Sys.Open(FifoPath, O_PATH);
                toClose.Add(f);
                fdMap.Add((f, baseFd + 1));
            }
            if (HasConsole)
            {
                int c = ConsoleFd >= 0 ? LinuxException.Check(Libc.fcntl(ConsoleFd, F_DUPFD_CLOEXEC, 0), "dup console fd")
                    : FdPassing.Connect(ConsoleSocket!);
                toClose.Add(c);
                fdMap.Add((c, baseFd + 2));
            }
            // Bind sources taken on the host: fds from baseFd + 3 on in the init.
            _mountSources.Clear();
            _mountSourceRequests.Clear();
            foreach (var (index, fd) in ExecInto == 0 ? MountSources.Open(Spec, Rootfs, _mountSourceRequests) : new Dictionary<int, int>())
            {
                toClose.Add(fd);
                _mountSources[index] = baseFd + 3 + _mountSources.Count;
                fdMap.Add((fd, _mountSources[index]));
            }
            var env = new List<string>
            {
                $"_OCIRUN_SYNC_FD={baseFd}", $"_OCIRUN_ID={Id}", $"_OCIRUN_BUNDLE={Bundle}",
                // One GC heap and no background GC thread: the init is small and short-lived.
                "DOTNET_gcConcurrent=0", "DOTNET_GCgen0size=0x400000",
            };
            // Nothing the caller left open beyond the map reaches the init (runc's init gets only
            // its own fds too): a created container's init would hold it until its execve.
            stage0 = CpuAffinity.SpawnOnInitialCpus(ExecInto > 0 ? Spec.Process?.ExecCPUAffinity : null,
                () => Spawner.Spawn($"/proc/self/fd/{exe}", ["ocirun", "init"], env, fdMap, closeInherited: true));
            DebugLog.Write($"{Id}: started the namespace stage as pid {stage0}");
        }
        return Drive(sync, stage0, FifoPath != null ? 3 + PreserveFds + 1 : -1,
            HasConsole ? 3 + PreserveFds + 2 : -1);
    }

    private int _pidfdSocket = -1;
    private readonly Dictionary<int, int> _mountSources = new();
    private readonly List<int> _mountSourceRequests = [];

    /// <summary>
    /// Answers the init's request for an idmapped source inside the rootfs: taken from within
    /// the container's mount namespace, so it is what the container's earlier mounts put there.
    /// </summary>
    private void SendMountSource(SyncSocket sync, byte[] payload)
    {
        int index = payload.Length == 4 ? BitConverter.ToInt32(payload) : -1;
        if (!_mountSourceRequests.Contains(index))
        {
            throw new ContainerException($"the init asked for the source of mount {index}, which is not one to ask for");
        }
        using var idmaps = new IdmapUserns();
        using var source = new Fd(NamespaceThread.Run(InitPid, "mnt", NamespaceThread.CloneNewNs, () => MountSources.OpenIdmapped(Spec, index, idmaps)));
        FdPassing.Send(sync.Fd, source.Value, "m");
    }

    /// <summary>
    /// A pidfd of the container's process to the --pidfd-socket, named as runc's init names it
    /// ("standard" for an init, "setns" for an exec'd process).
    /// </summary>
    private void SendPidfd()
    {
        if (_pidfdSocket < 0)
        {
            return;
        }
        int pidfd = (int)LinuxException.Check(Libc.syscall(SYS_pidfd_open, InitPid, 0, 0, 0, 0), "failed to pidfd_open");
        try
        {
            FdPassing.Send(_pidfdSocket, pidfd, ExecInto > 0 ? "setns" : "standard");
        }
        catch (LinuxException e)
        {
            throw new ContainerException("failed to send pidfd on socket: " + LinuxException.ErrnoText(e.Errno));
        }
        finally
        {
            Libc.close(pidfd);
        }
    }

    private bool NewScope => ExecInto == 0 && Cgroups.Scope != null;

    private bool HasConsole => Spec.Process!.Terminal && (ConsoleSocket != null || ConsoleFd >= 0);


    private int Drive(SyncSocket sync, int stage0, int fifoFd, int consoleFd)
    {
        bool ok = false;
        try
        {
            if (Spec.Process?.OomScoreAdj is { } oom)
            {
                Sys.WriteFile($"/proc/{stage0}/oom_score_adj", oom.ToString());
            }
            if (NewScope)
            {
                // The namespace stage waits for its bootstrap: it is in the scope before it
                // makes the container's processes, which are then born there.
                Cgroups.StartScope(Id, stage0, Spec.Linux?.Resources ?? new Spec.Model.Resources(), create: true);
            }
            sync.Send(SyncType.Bootstrap, BuildBootstrap().Encode());
            // Built while the native stage creates the namespaces and the init's runtime starts.
            var config = BuildInitConfig(fifoFd, consoleFd);
            InitPid = DuringInit(() => NativeStage(sync, stage0));
            DebugLog.Write($"{Id}: container process is pid {InitPid}");
            SendPidfd();
            sync.Send(SyncType.InitConfig, config);
            ok = true;
        }
        finally
        {
            if (!ok)
            {
                // It may be waiting for a frame that will never come.
                Libc.kill(stage0, SIGKILL);
            }
            Sys.WaitPid(stage0);
        }
        DuringInit(() => ManagedStage(sync));
        if (ExecInto > 0)
        {
            AwaitExec(sync);
        }
        DebugLog.Write($"{Id}: container process is ready");
        return InitPid;
    }

    /// <summary>
    /// An exec'd process says nothing after Ready: the socket closes at its execve (it is
    /// close-on-exec), or the error that stopped it comes first. Returning only then means
    /// signals forwarded from now on reach the program, not the runtime before it.
    /// </summary>
    private static void AwaitExec(SyncSocket sync)
    {
        if (sync.Receive() is { } frame)
        {
            throw frame.Type == SyncType.Error ? InitError(frame.Payload)
                : new ContainerException($"unexpected sync frame {frame.Type} from the init");
        }
    }

    /// <summary>The managed init's instructions, with the seccomp profile compiled here, in the parent.</summary>
    private byte[] BuildInitConfig(int fifoFd, int consoleFd)
    {
        var seccomp = Seccomp ??= Spec.Linux?.Seccomp is { } profile ? Ocirun.Runtime.Seccomp.SeccompCompiler.Compile(profile) : null;
        return InitFrame.Encode(new InitConfig
        {
            Spec = Spec,
            SeccompBpf = seccomp?.Bpf,
            MountSources = _mountSources,
            MountSourceRequests = _mountSourceRequests,
            SeccompFlags = seccomp?.Flags ?? 0,
            Rootfs = Rootfs,
            NoPivot = NoPivot,
            NoNewKeyring = NoNewKeyring,
            FifoFd = fifoFd,
            ConsoleSocketFd = consoleFd,
            ConsoleRelayed = ConsoleFd >= 0,
            PreserveFds = PreserveFds,
            CgroupPaths = new(Cgroups.Paths),
            Exec = ExecInto > 0,
            // A mount namespace joined by path gets the rootfs prepared in it too, as runc does.
            OwnMountNamespace = ExecInto == 0 && Spec.Linux?.Namespaces?.Any(n => n.Type == NamespaceTypes.Mount) == true,
            NewCgroupNamespace = ExecInto == 0 && Creates(NamespaceTypes.Cgroup),
            // Devices are bind-mounted, not made, in a user namespace: the spec's own, or the
            // one ocirun itself runs in (rootless Podman's), where mknod is refused as well.
            InUserNamespace = ExecInto == 0 && (Spec.Linux?.Namespaces?.Any(n => n.Type == NamespaceTypes.User) == true
                || Security.Rootless.InUserNamespace()),
            ParentHooks = ExecInto == 0
                && (Spec.Hooks?.Prestart?.Count ?? 0) + (Spec.Hooks?.CreateRuntime?.Count ?? 0) > 0,
            CpusPinned = !string.IsNullOrEmpty(Spec.Linux?.Resources?.Cpu?.Cpus),
        });
    }

    private bool Creates(string type) =>
        Spec.Linux?.Namespaces?.Any(n => n.Type == type && string.IsNullOrEmpty(n.Path)) == true;

    public Bootstrap BuildBootstrap()
    {
        var b = new Bootstrap();
        foreach (var (key, dir) in Cgroups.Paths)
        {
            if (key == CgroupMount.V2Key)
            {
                b.CgroupV2Dir = dir;
            }
            else
            {
                b.CgroupV1Tasks.Add(Path.Combine(dir, "tasks"));
            }
        }
        if (ExecInto > 0)
        {
            // exec joins whatever the init is in, declared or not: a restored container also
            // has the new time namespace CRIU always creates.
            foreach (var (_, flag, procName) in NamespaceTypes.All)
            {
                var theirs = $"/proc/{ExecInto}/ns/{procName}";
                if (File.Exists(theirs) && new FileInfo(theirs).LinkTarget != new FileInfo($"/proc/self/ns/{procName}").LinkTarget)
                {
                    b.Joins.Add((flag, theirs));
                }
            }
            return b;
        }
        foreach (var (type, flag, _) in NamespaceTypes.All)
        {
            var ns = Spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == type);
            if (ns == null)
            {
                continue;
            }
            if (string.IsNullOrEmpty(ns.Path))
            {
                b.UnshareFlags |= flag;
            }
            else
            {
                b.Joins.Add((flag, ns.Path));
            }
        }
        if (Spec.Linux?.TimeOffsets is { Count: > 0 } offsets)
        {
            b.TimensOffsets = string.Join("\n", offsets.Select(o => $"{o.Key} {o.Value.Secs} {o.Value.Nanosecs}"));
        }
        return b;
    }

    private int NativeStage(SyncSocket sync, int stage0)
    {
        while (true)
        {
            var frame = sync.Receive() ?? throw new ContainerException("container init exited before reporting its pid");
            switch (frame.Type)
            {
                case SyncType.UsermapPlease:
                    IdMapWriter.Write(stage0, Spec.Linux?.UidMappings, Spec.Linux?.GidMappings);
                    sync.Send(SyncType.UsermapAck);
                    break;
                case SyncType.Pid:
                    DebugLog.Write($"{Id}: cgroup2 joined {Cgroup2Way(BitConverter.ToUInt32(frame.Payload, 4))}");
                    return BitConverter.ToInt32(frame.Payload, 0);
                case SyncType.Error:
                    throw InitError(frame.Payload);
                default:
                    throw new ContainerException($"unexpected sync frame {frame.Type} from the namespace stage");
            }
        }
    }

    /// <summary>How the init got into cgroup2, as the PID frame says after the pid (OCIRUN_CGROUP2_* in native/ocirun_sync.h).</summary>
    private static string Cgroup2Way(uint how) => how switch
    {
        1 => "by clone3",
        2 => "through cgroup.procs",
        _ => "not at all",
    };

    /// <summary>
    /// A new container's init talking to us: what it reports, and what fails while we answer
    /// it (hooks, mount sources), is an "error during container init" in runc's words. An
    /// exec'd process's are not.
    /// </summary>
    private T DuringInit<T>(Func<T> stage) => ExecInto == 0 ? PrefixedException.Around("error during container init: ", stage) : stage();

    private void DuringInit(Action stage) => DuringInit(() =>
    {
        stage();
        return 0;
    });

    private void ManagedStage(SyncSocket sync)
    {
        while (true)
        {
            var frame = sync.Receive() ?? throw new ContainerException("container init exited before it was ready");
            switch (frame.Type)
            {
                case SyncType.HooksPlease:
                    var state = HookStateJson("creating");
                    OciHooks.HookRunner.RunAll("prestart", Spec.Hooks?.Prestart, state);
                    OciHooks.HookRunner.RunAll("createRuntime", Spec.Hooks?.CreateRuntime, state);
                    sync.Send(SyncType.HooksDone);
                    break;
                case SyncType.MountSourcePlease:
                    SendMountSource(sync, frame.Payload);
                    break;
                case SyncType.SeccompFd:
                    Ocirun.Runtime.Seccomp.SeccompListener.Send(Spec, Id, Bundle, Rootfs, InitPid, BitConverter.ToInt32(frame.Payload));
                    sync.Send(SyncType.SeccompDone);
                    break;
                case SyncType.Ready:
                    return;
                case SyncType.Error:
                    throw InitError(frame.Payload);
                default:
                    throw new ContainerException($"unexpected sync frame {frame.Type} from the init");
            }
        }
    }

    private string HookStateJson(string status) =>
        Ocirun.Spec.Model.ContainerStateDocument.ForHook(Spec, Id, InitPid, status, Bundle, Rootfs).ToJson(indented: false);

    private static ContainerException InitError(byte[] payload)
    {
        var (errno, message) = SyncSocket.DecodeError(payload);
        // The native stage sends "what failed" and the errno separately; managed errors carry both already.
        if (errno != 0 && !message.Contains(':'))
        {
            message += ": " + LinuxException.ErrnoText(errno);
        }
        return new ContainerException(message);
    }
}
