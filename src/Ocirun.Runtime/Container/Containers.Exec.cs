using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Process;
using Ocirun.Runtime.State;
using Ocirun.Spec.Validation;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>
    /// Starts a process in a running container: the native stage joins every namespace of
    /// the container's init, the process joins its cgroup, then it gets its user,
    /// capabilities and labels. Returns the process's host pid.
    /// </summary>
    public int Exec(ExecOptions o)
    {
        var r = Load(o.Id);
        var status = StatusOf(r);
        if (status == ContainerStatus.Stopped)
        {
            throw new ContainerException("cannot exec in a stopped container");
        }
        if (status == ContainerStatus.Paused && !o.IgnorePaused)
        {
            throw new ContainerException("cannot exec in a paused container (use --ignore-paused to override)");
        }
        SpecValidator.CheckProcess(o.Process);
        Security.CapabilitySet.WarnOfUnavailable(o.Process.Capabilities);
        if (Security.Rootless.Euid != 0)
        {
            RootlessValidator.CheckProcess(o.Process);
        }
        Security.Labels.Require(o.Process);
        if (o.Process.Terminal && o.ConsoleSocket == null && o.ConsoleFd < 0)
        {
            throw new ContainerException("cannot allocate tty if runc will detach without setting console socket");
        }
        // What applies to every process of the container, the exec'd ones included: kept at create.
        var container = ExecBaseOf(r);
        var execSpec = container.Spec;
        // A --process without its own execCPUAffinity gets the container's, as in runc.
        o.Process.ExecCPUAffinity ??= execSpec.Process?.ExecCPUAffinity;
        execSpec.Process = o.Process;
        var parent = new ParentProcess
        {
            Id = r.Id, Bundle = r.Bundle, Spec = execSpec, Seccomp = container.Seccomp, Rootfs = r.Rootfs,
            Cgroups = new CgroupManager(RootlessCgroups ? CgroupPlacement.JoinableByCaller(SubCgroupPaths(r, o.SubCgroups)) : SubCgroupPaths(r, o.SubCgroups)), ConsoleSocket = o.ConsoleSocket, ConsoleFd = o.ConsoleFd, PidfdSocket = o.PidfdSocket,
            PreserveFds = o.PreserveFds, ExecInto = r.InitPid,
        };
        int pid;
        try
        {
            pid = parent.Start();
        }
        catch
        {
            // Whatever stopped it, no process is left.
            if (parent.InitPid > 0)
            {
                Linux.Sys.KillAndReap(parent.InitPid);
            }
            throw;
        }
        if (o.PidFile != null)
        {
            try
            {
                PidFile.Write(o.PidFile, pid);
            }
            catch
            {
                // The caller cannot track a process whose pid it was not given: it does not stay.
                Linux.Sys.KillAndReap(pid);
                throw;
            }
        }
        return pid;
    }

    /// <summary>The container's cgroup paths with --cgroup sub-paths appended (runc's exec --cgroup).</summary>
    private static Dictionary<string, string> SubCgroupPaths(ContainerRecord r, Dictionary<string, string> sub)
    {
        var paths = new Dictionary<string, string>(r.CgroupPaths);
        // A controller the container has no hierarchy of is an error, as in runc, not ignored.
        foreach (var controller in sub.Keys.Where(k => k != "" && !paths.Keys.Any(key => key == k || key.Split(',').Contains(k))))
        {
            throw new ContainerException($"unable to create new parent process: unknown controller {controller} in SubCgroupPaths");
        }
        foreach (var key in paths.Keys.ToList())
        {
            var controllers = key.Split(',');
            var match = sub.FirstOrDefault(s => s.Key == "" || controllers.Contains(s.Key) || s.Key == key);
            if (match.Value is { } rel)
            {
                var full = Path.GetFullPath(Path.Combine(paths[key], rel.TrimStart('/')));
                if (!full.StartsWith(paths[key] + "/", StringComparison.Ordinal))
                {
                    // Where runc finds it: making the exec's parent process.
                    throw new ContainerException($"unable to create new parent process: {rel} is not a sub cgroup path");
                }
                if (!Directory.Exists(full))
                {
                    throw new ContainerException($"cgroup {full} does not exist");
                }
                paths[key] = full;
            }
        }
        return paths;
    }

    /// <summary>Waits for an exec'd process (our child); returns its status.</summary>
    public static int WaitExec(int pid) => WaitChild(pid);

    /// <summary>The container's own process, as created: what `exec` without --process starts from.</summary>
    public Spec.Model.Process ProcessOf(ContainerRecord r) => ExecBaseOf(r).Spec.Process!;

    private (string Id, ExecBase Base)? _execBase;

    /// <summary>
    /// exec.bin, read once per command (the CLI asks for the container's process, then Exec
    /// for the rest); a container from before that file existed has it from config.json.
    /// </summary>
    private ExecBase ExecBaseOf(ContainerRecord r)
    {
        if (_execBase is { } cached && cached.Id == r.Id)
        {
            return cached.Base;
        }
        var loaded = ExecBase.LoadFrom(Store, r.Id);
        if (loaded == null)
        {
            var spec = LoadSpec(r.Bundle);
            loaded = ExecBase.From(spec, CompileSeccomp(spec));
        }
        _execBase = (r.Id, loaded);
        return loaded;
    }
}
