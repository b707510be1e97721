using System.Runtime.InteropServices;
using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Process;
using Ocirun.Runtime.State;
using Ocirun.Spec;
using Ocirun.Spec.Known;
using Ocirun.Spec.Validation;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>
    /// Creates the container: its init exists in all namespaces and its cgroup, mounts are
    /// done, and it waits on exec.fifo. On any failure nothing is left behind.
    /// </summary>
    public ContainerRecord Create(CreateOptions o)
    {
        StateStore.ValidateId(o.Id);
        var (bundle, spec, rootfs) = OpenBundle(o.Bundle, o);
        if (spec.Linux?.IntelRdt != null && !File.Exists("/sys/fs/resctrl/schemata"))
        {
            throw new ContainerException("intelRdt is set, but resctrl is not mounted on this host");
        }
        var cgroups = CgroupsFor(spec, o.Id);
        DebugLog.Write($"{o.Id}: cgroups {string.Join(", ", cgroups.Paths.Values)}");
        cgroups.Driver.Validate(spec.Linux?.Resources);
        Security.Labels.Require(spec.Process!);
        Security.CapabilitySet.WarnOfUnavailable(spec.Process!.Capabilities);
        Store.CreateDir(o.Id);
        ParentProcess? parent = null;
        try
        {
            using var dirLock = Store.Lock(o.Id);
            var record = SaveInitialRecord(o.Id, spec, bundle, rootfs, cgroups, o.NoPivot);
            var fifo = Store.FifoPath(o.Id);
            LinuxException.Check(Libc.mkfifo(fifo, 0x192 /* 0622 */), "mkfifo " + fifo);
            File.SetUnixFileMode(fifo, (UnixFileMode)0x192); // mkfifo's mode is masked by the umask
            parent = new ParentProcess
            {
                Id = o.Id, Bundle = bundle, Spec = spec, Rootfs = rootfs, Cgroups = cgroups, FifoPath = fifo,
                ConsoleSocket = o.ConsoleSocket, ConsoleFd = o.ConsoleFd, PidfdSocket = o.PidfdSocket, NoPivot = o.NoPivot, NoNewKeyring = o.NoNewKeyring, PreserveFds = o.PreserveFds,
            };
            SaveInit(record, parent.Start(), o.PidFile);
            // With the filter the parent compiled while the init started (a create killed
            // before this leaves exec to read config.json).
            ExecBase.From(spec, parent.Seccomp).SaveTo(Store, o.Id);
            return record;
        }
        catch
        {
            Abandon(o.Id, parent?.InitPid ?? 0, cgroups);
            throw;
        }
    }

    /// <summary>Undoes a create or restore that failed: its process, cgroups and state directory.</summary>
    private void Abandon(string id, int pid, CgroupManager cgroups)
    {
        if (pid > 0)
        {
            Sys.KillAndReap(pid);
        }
        try
        {
            cgroups.Destroy();
        }
        finally
        {
            RemoveStateDir(id);
        }
    }

    /// <summary>The bundle's absolute path, its validated spec and its rootfs.</summary>
    private static (string Bundle, Spec.Model.Spec Spec, string Rootfs) OpenBundle(string path, CreateOptions o)
    {
        var bundle = Path.GetFullPath(path);
        var spec = o.Spec ?? LoadSpec(bundle);
        CheckTerminal(spec.Process!, o);
        var rootfs = Path.GetFullPath(Path.Combine(bundle, spec.Root!.Path));
        rootfs = rootfs.Length > 1 ? rootfs.TrimEnd('/') : rootfs; // cleaned, as runc's filepath.Clean
        RequireRealRootfs(rootfs);
        return (bundle, spec, rootfs);
    }

    /// <summary>
    /// runc's rule: the rootfs exists and is named by its real path. A symlink anywhere in it is
    /// refused, so that the path state reports, hooks are given and CRIU restores into is
    /// where the rootfs really is.
    /// </summary>
    private static void RequireRealRootfs(string rootfs)
    {
        int opened = Libc.open(rootfs, O_PATH | O_CLOEXEC, 0);
        if (opened < 0)
        {
            throw new ContainerException($"invalid rootfs: stat {rootfs}: {LinuxException.ErrnoText(Marshal.GetLastPInvokeError())}");
        }
        using var fd = new Fd(opened);
        if (new FileInfo(Rootfs.InRoot.ProcPath(fd.Value)).LinkTarget != rootfs)
        {
            throw new ContainerException("invalid rootfs: not an absolute path, or a symlink");
        }
        if (!Directory.Exists(rootfs))
        {
            throw new ContainerException($"invalid rootfs: {rootfs} is not a directory");
        }
    }

    /// <summary>The spec's seccomp profile as BPF (libseccomp, in this process), or null without one.</summary>
    private static Seccomp.SeccompProgram? CompileSeccomp(Spec.Model.Spec spec) =>
        spec.Linux?.Seccomp is { } profile ? Seccomp.SeccompCompiler.Compile(profile) : null;

    public static Spec.Model.Spec LoadSpec(string bundle)
    {
        var path = Path.Combine(bundle, "config.json");
        string text;
        try
        {
            text = RegularFile.ReadText(path);
        }
        catch (Exception e) when (RegularFile.IsNotFound(e))
        {
            // runc works from the bundle: a missing one is its chdir that failed.
            throw new ContainerException(Directory.Exists(bundle) ? "JSON specification file config.json not found"
                : $"chdir {bundle}: " + (File.Exists(bundle) ? "not a directory" : "no such file or directory"));
        }
        try
        {
            var spec = SpecJson.ParseSpec(text);
            SpecValidator.Validate(spec);
            if (Security.Rootless.Euid != 0)
            {
                RootlessValidator.Validate(spec);
                RootlessValidator.CheckProcess(spec.Process!);
            }
            AbsoluteBindSources(spec, bundle);
            return spec;
        }
        catch (SpecValidationException e)
        {
            throw new ContainerException(e.Message, inner: e);
        }
    }

    /// <summary>
    /// A relative bind source is the bundle's, as runc takes it (it works from the bundle):
    /// whoever mounts it later, whatever its working directory (the init, CRIU on restore).
    /// </summary>
    public static void AbsoluteBindSources(Spec.Model.Spec spec, string bundle)
    {
        foreach (var m in spec.Mounts ?? [])
        {
            if (m.Source is { Length: > 0 } source && !source.StartsWith('/') && Rootfs.MountOptions.Parse(m.Options).Bind)
            {
                m.Source = Path.GetFullPath(source, bundle);
            }
        }
    }

    private static void CheckTerminal(Spec.Model.Process process, CreateOptions o)
    {
        if (process.Terminal && o.Detach && o.ConsoleSocket == null)
        {
            throw new ContainerException("cannot allocate tty if runc will detach without setting console socket");
        }
        if (!process.Terminal && o.ConsoleSocket != null)
        {
            throw new ContainerException("cannot use console socket if runc will not detach or allocate tty");
        }
    }
}
