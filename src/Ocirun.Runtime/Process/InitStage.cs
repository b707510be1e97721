using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Rootfs;
using Ocirun.Runtime.Security;
using Ocirun.Runtime.State;
using Ocirun.Runtime.Sync;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Process;

/// <summary>
/// The managed part of `ocirun init`, already pid 1 in the container's namespaces (the native
/// stage put it there). Runs synchronously on the main thread: capabilities, no_new_privs and
/// the credentials that survive execve are per-thread.
/// </summary>
public static class InitStage
{
    public static int Run()
    {
        var fdText = Environment.GetEnvironmentVariable("_OCIRUN_SYNC_FD");
        if (fdText == null || !int.TryParse(fdText, out var fd))
        {
            System.Console.Error.WriteLine("init: must be started by ocirun");
            return 1;
        }
        using var sync = new SyncSocket(fd);
        try
        {
            var config = InitFrame.Decode(Expect(sync, SyncType.InitConfig));
            var (path, env) = Prepare(config, sync);
            Exec(config, path, env);
        }
        catch (Exception e)
        {
            int errno = e is LinuxException le ? le.Errno : 0;
            try
            {
                sync.SendError(errno, e.Message);
            }
            catch (LinuxException)
            {
                // The parent is gone (after `start`, e.g. a failed startContainer hook or
                // execve): the container's own stderr is where runc's init reports it too.
                ReportOnStderr(e.Message);
            }
        }
        // runc's init exits 255 when it fails: `run` passes that on as the container's status.
        return 255;
    }

    private static unsafe void ReportOnStderr(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message + "\n");
        fixed (byte* b = bytes)
        {
            Libc.write(2, b, bytes.Length);
        }
    }

    private static byte[] Expect(SyncSocket sync, SyncType type)
    {
        var frame = sync.Receive() ?? throw new ContainerException("parent closed the sync socket");
        return frame.Type == type ? frame.Payload : throw new ContainerException($"unexpected sync frame {frame.Type}");
    }

    private static (string Path, List<string> Env) Prepare(InitConfig config, SyncSocket sync)
    {
        var spec = config.Spec;
        var process = spec.Process!;
        Libc.umask(0);
        if (config.FifoFd >= 0)
        {
            Sys.SetCloexec(config.FifoFd, true);
        }
        if (config.Exec)
        {
            PrepareProcess(config, bindConsole: false);
        }
        else if (config.OwnMountNamespace)
        {
            var plan = MountPlanner.Plan(spec, config.Rootfs, config.NoPivot, config.InUserNamespace);
            var builder = new RootfsBuilder(config.Rootfs, config.CgroupPaths, config.NewCgroupNamespace, config.MountSources,
                config.MountSourceRequests, index => RequestMountSource(sync, index));
            builder.Run(plan, () => BeforeEnterRoot(config, sync), () => AfterEnterRoot(spec));
            foreach (var fd in config.MountSources.Values)
            {
                Libc.close(fd); // attached: the host's trees are not the container's business
            }
        }
        else
        {
            BeforeEnterRoot(config, sync);
            // No mount namespace of its own: the container gets no mounts (runc would make them
            // on the host), so the exec fifo is reached through the /proc of before the chroot.
            _proc = Sys.Open("/proc", O_PATH | O_DIRECTORY);
            LinuxException.Check(Libc.chroot(config.Rootfs), "chroot");
            AfterEnterRoot(spec);
        }
        if (!config.Exec && !config.NoNewKeyring)
        {
            ProcessAttributes.JoinSessionKeyring(Environment.GetEnvironmentVariable("_OCIRUN_ID") ?? "");
        }
        // Before the scheduler: SCHED_DEADLINE wants every CPU of the cpuset.
        CpuAffinity.ApplyFinal(config.Exec ? process.ExecCPUAffinity : null);
        ProcessAttributes.Apply(spec, config.CpusPinned);
        Identity.ApplyRlimits(process.Rlimits?.Where(r => !Identity.LimitsAddressSpace(r)));
        // Before any seccomp filter: a profile may refuse the probe's faccessat2 (EPERM).
        RequireFifoReachable(config);
        // cwd is entered as root first, as runc does, so a cwd that only root can reach (/root
        // for uid 1000) works; a refusal of root (a root-squashed volume) is tried again as the user.
        bool chdirAsUser = !EnterCwd(process.Cwd, retryAsUser: true);
        // Without no_new_privs only a privileged thread may load a filter, so it goes in before
        // the capabilities are dropped; with it, after everything else the init does.
        if (config.SeccompBpf != null && !process.NoNewPrivileges)
        {
            LoadSeccomp(config, sync);
        }
        Identity.Switch(process, setgroupsAllowed: SetgroupsAllowed());
        if (chdirAsUser)
        {
            EnterCwd(process.Cwd, retryAsUser: false);
        }
        // Checked as the container's user and before Ready, so that a bad cwd or a missing
        // binary fails `create` rather than a `start` that can no longer report it.
        var env = ProcessEnv.Build(process);
        var path = ProcessEnv.LookPath(process.Args![0], env);
        if (config.SeccompBpf != null && process.NoNewPrivileges)
        {
            LoadSeccomp(config, sync);
        }
        sync.Send(SyncType.Ready);
        if (!config.Exec)
        {
            // The parent of a container's init asks nothing more: waiting for `start`, the init
            // holds only stdio, the preserved fds and the exec fifo (as runc's does). A later
            // failure (a startContainer hook) then goes to the container's stderr.
            sync.Dispose();
        }
        return (path, env);
    }

    /// <summary>The host's /proc (O_PATH, close-on-exec) where the container has no mount namespace.</summary>
    private static int _proc = AT_FDCWD;

    /// <summary>
    /// `start` is signalled through exec.fifo, which the init reopens through /proc/self/fd: a
    /// container without /proc could never start, so its create fails now rather than after it
    /// reported success.
    /// </summary>
    private static void RequireFifoReachable(InitConfig config)
    {
        if (config.FifoFd >= 0 && Libc.faccessat(_proc, FifoPath(config), F_OK, 0) != 0
            && Marshal.GetLastPInvokeError() is ENOENT or ENOTDIR)
        {
            throw new ContainerException("cannot reach the exec fifo through /proc/self/fd: the container has no /proc");
        }
    }

    private static string FifoPath(InitConfig config) =>
        (_proc == AT_FDCWD ? "/proc/" : "") + $"self/fd/{config.FifoFd}";

    /// <summary>chdir to cwd; false when refused (EACCES) and retryAsUser allows another try later.</summary>
    private static bool EnterCwd(string cwd, bool retryAsUser)
    {
        if (Libc.chdir(cwd) == 0)
        {
            return true;
        }
        if (retryAsUser && Marshal.GetLastPInvokeError() == EACCES)
        {
            return false;
        }
        throw LinuxException.Last($"chdir to cwd (\"{cwd}\") set in config.json failed");
    }

    /// <summary>Console and LSM labels: what both a container's init and an exec'd process need.</summary>
    private static void PrepareProcess(InitConfig config, bool bindConsole)
    {
        var process = config.Spec.Process!;
        if (process.Terminal && config.ConsoleSocketFd >= 0)
        {
            Terminal.Pty.Setup(bindConsole ? config.Rootfs : "", config.ConsoleSocketFd, process.ConsoleSize, config.ConsoleRelayed);
        }
        Labels.ApplyExecLabels(process);
    }

    /// <summary>
    /// Loads the filter; a notification fd goes to the parent (it takes its own copy with
    /// pidfd_getfd and hands it to the listener) before this process closes it.
    /// </summary>
    private static void LoadSeccomp(InitConfig config, SyncSocket sync)
    {
        int listener = Seccomp.SeccompLoader.Load(config.SeccompBpf!, config.SeccompFlags);
        if (listener < 0)
        {
            return;
        }
        sync.Send(SyncType.SeccompFd, BitConverter.GetBytes(listener));
        var reply = sync.Receive() ?? throw new ContainerException("parent closed the sync socket");
        if (reply.Type != SyncType.SeccompDone)
        {
            throw new ContainerException($"unexpected sync frame {reply.Type}");
        }
        Libc.close(listener);
    }

    /// <summary>Asks the parent for a mount's source (see <see cref="SyncType.MountSourcePlease"/>); returns its fd.</summary>
    private static int RequestMountSource(SyncSocket sync, int index)
    {
        sync.Send(SyncType.MountSourcePlease, BitConverter.GetBytes(index));
        return FdPassing.Receive(sync.Fd).Fd;
    }

    private static void BeforeEnterRoot(InitConfig config, SyncSocket sync)
    {
        PrepareProcess(config, bindConsole: true);
        if (config.ParentHooks)
        {
            sync.Send(SyncType.HooksPlease);
            var reply = sync.Receive() ?? throw new ContainerException("parent closed the sync socket");
            if (reply.Type != SyncType.HooksDone)
            {
                throw new ContainerException($"unexpected sync frame {reply.Type}");
            }
        }
        // createContainer hooks run in the container's namespaces, before pivot_root.
        LinuxException.Check(Libc.chdir(config.Rootfs), "chdir rootfs");
        OciHooks.HookRunner.RunAll("createContainer", config.Spec.Hooks?.CreateContainer, HookState(config, "creating"));
    }

    internal static string HookState(InitConfig config, string status) =>
        Spec.Model.ContainerStateDocument.ForHook(config.Spec, Environment.GetEnvironmentVariable("_OCIRUN_ID") ?? "",
            Libc.getpid(), status, Environment.GetEnvironmentVariable("_OCIRUN_BUNDLE") ?? "", config.Rootfs).ToJson(indented: false);

    private static void AfterEnterRoot(Spec.Model.Spec spec)
    {
        ReopenDevNull();
        if (spec.Linux?.Namespaces?.Any(n => n.Type == Ocirun.Spec.Known.NamespaceTypes.Network && string.IsNullOrEmpty(n.Path)) == true)
        {
            Loopback.Up();
        }
        SetHostnames(spec);
        if (spec.Linux?.Sysctl is { Count: > 0 } sysctls)
        {
            using var proc = PrivateProcfs.Open();
            foreach (var (key, value) in sysctls)
            {
                proc.WriteSysctl(key, value);
            }
        }
    }

    /// <summary>
    /// stdio that is the host's /dev/null becomes the container's: an open file on a host
    /// mount would make the container impossible to checkpoint (CRIU cannot find its mount).
    /// </summary>
    private static unsafe void ReopenDevNull()
    {
        StatBuf null_;
        int devNull = Libc.open("/dev/null", O_RDWR | O_CLOEXEC, 0);
        if (devNull < 0 || Libc.fstat(devNull, &null_) < 0)
        {
            Sys.Close(devNull);
            return;
        }
        for (int fd = 0; fd < 3; fd++)
        {
            StatBuf st;
            if (Libc.fstat(fd, &st) == 0 && (st.Mode & S_IFMT) == S_IFCHR && st.Rdev == null_.Rdev && st.Dev != null_.Dev)
            {
                LinuxException.Check(Libc.dup3(devNull, fd, 0), "reopen /dev/null");
            }
        }
        Libc.close(devNull);
    }

    private static void SetHostnames(Spec.Model.Spec spec)
    {
        if (!string.IsNullOrEmpty(spec.Hostname))
        {
            LinuxException.Check(Libc.sethostname(spec.Hostname, Encoding.UTF8.GetByteCount(spec.Hostname)), "sethostname");
        }
        if (!string.IsNullOrEmpty(spec.Domainname))
        {
            LinuxException.Check(Libc.setdomainname(spec.Domainname, Encoding.UTF8.GetByteCount(spec.Domainname)),
                "setdomainname");
        }
    }

    private static bool SetgroupsAllowed()
    {
        try
        {
            return File.ReadAllText("/proc/self/setgroups").Trim() != "deny";
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Waits for `start` on the exec fifo, runs startContainer hooks, then execs.</summary>
    private static unsafe void Exec(InitConfig config, string path, List<string> env)
    {
        var process = config.Spec.Process!;
        if (config.FifoFd >= 0)
        {
            int w = Sys.OpenAt(_proc, FifoPath(config), O_WRONLY);
            byte zero = (byte)'0';
            Sys.WriteAll(w, new ReadOnlySpan<byte>(&zero, 1), "exec fifo");
            Libc.close(w);
            Libc.close(config.FifoFd);
        }
        OciHooks.HookRunner.RunAll("startContainer", config.Spec.Hooks?.StartContainer, HookState(config, "created"), env);
        Libc.umask((int)(process.User.Umask ?? 0x12 /* 022 */));
        ResetSignals();
        CloseExecFrom(3 + config.PreserveFds);
        using var argv = new CStringArray(process.Args!);
        using var envp = new CStringArray(env);
        fixed (byte* p = Sys.CString(path))
        {
            // Last, next to the execve: under an address-space limit below what the .NET
            // runtime has mapped, every later allocation of the init would fail.
            Identity.ApplyRlimits(process.Rlimits?.Where(Identity.LimitsAddressSpace));
            Libc.execve(p, argv.Pointer, envp.Pointer);
        }
        throw LinuxException.Last($"exec {path}");
    }

    /// <summary>
    /// Marks every fd from first on close-on-exec: whatever the caller handed us beyond the
    /// preserved fds must not reach the container.
    /// </summary>
    private static void CloseExecFrom(int first)
    {
        // One syscall where the kernel has close_range (5.11); the fd table walk otherwise.
        if (Libc.syscall(SYS_close_range, first, uint.MaxValue, CLOSE_RANGE_CLOEXEC, 0, 0) == 0)
        {
            return;
        }
        foreach (var entry in Directory.GetFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var fd) && fd >= first)
            {
                Libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
    }

    /// <summary>.NET ignores SIGPIPE and blocks nothing we want passed on; the program starts clean.</summary>
    private static unsafe void ResetSignals()
    {
        for (int s = 1; s < 65; s++)
        {
            if (s is 9 or 19 or 32 or 33)
            {
                continue;
            }
            Libc.signal(s, 0 /* SIG_DFL */);
        }
        ulong empty = 0;
        Libc.sigprocmask(2 /* SIG_SETMASK */, &empty, null);
    }
}
