using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Criu;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

/// <summary>The container verbs over one state root; one partial file per verb.</summary>
public sealed partial class Containers(StateStore store)
{
    public StateStore Store { get; } = store;

    /// <summary>--systemd-cgroup: new containers get a systemd scope unit (cgroupsPath "slice:prefix:name").</summary>
    public bool SystemdCgroup { get; init; }

    /// <summary>--rootless resolved (runc's rules): cgroups the caller may not use are skipped. Asked once, when needed.</summary>
    public Func<bool> RootlessDecision { get; init; } = () => false;

    private bool? _rootlessCgroups;

    private bool RootlessCgroups => _rootlessCgroups ??= RootlessDecision();

    private CgroupManager CgroupsFor(Spec.Model.Spec spec, string id) => SystemdCgroup
        ? CgroupManager.ForSystemd(spec.Linux?.CgroupsPath, id, RootlessCgroups, spec.Annotations)
        : CgroupManager.ForPath(spec.Linux?.CgroupsPath, id, RootlessCgroups);

    /// <summary>Loads a container or fails with runc's "container does not exist".</summary>
    public ContainerRecord Load(string id) =>
        Store.Load(id) ?? throw new ContainerException("container does not exist");

    /// <summary>The container's status; first thaws what a checkpoint killed mid-dump left frozen.</summary>
    public ContainerStatus StatusOf(ContainerRecord r)
    {
        InterruptedCheckpoint.Recover(Store.Dir(r.Id), CgroupDriver.For(r.CgroupPaths));
        if (!ProcFs.IsAlive(r.InitPid, r.InitStartTime))
        {
            return ContainerStatus.Stopped;
        }
        // Frozen first: a created container can be paused (and resumed back to created), as in runc.
        if (CgroupDriver.For(r.CgroupPaths).IsFrozen())
        {
            return ContainerStatus.Paused;
        }
        return File.Exists(Store.FifoPath(r.Id)) ? ContainerStatus.Created : ContainerStatus.Running;
    }

    /// <summary>
    /// The record of a container about to be created or restored, saved before any process
    /// exists: a create or restore killed half-way leaves state that `delete --force` cleans.
    /// </summary>
    private ContainerRecord SaveInitialRecord(string id, Spec.Model.Spec spec, string bundle, string rootfs,
        CgroupManager cgroups, bool noPivot)
    {
        var record = new ContainerRecord
        {
            Id = id, OciVersion = spec.OciVersion, Bundle = bundle, Rootfs = rootfs,
            Created = FormatTime(DateTime.UtcNow), Annotations = spec.Annotations, CgroupPaths = new(cgroups.Paths), SystemdUnit = cgroups.Scope?.Unit, SystemdUserBus = cgroups.Scope?.UserBus == true,
            NoPivot = noPivot, Hooks = spec.Hooks,
        };
        Store.Save(record);
        return record;
    }

    /// <summary>
    /// Records the running init (pid and start time, which tell it from a reused pid), and
    /// writes the caller's --pid-file.
    /// </summary>
    private void SaveInit(ContainerRecord record, int pid, string? pidFile)
    {
        record.InitPid = pid;
        record.InitStartTime = ProcFs.ReadStat(pid)?.StartTime ?? 0;
        record.Created = FormatTime(DateTime.UtcNow);
        Store.Save(record);
        if (pidFile != null)
        {
            PidFile.Write(pidFile, pid);
        }
    }

    /// <summary>
    /// Forgets a container: its state directory goes, after CRIU's root mount in it (left by a
    /// restore interrupted half-way), so that the removal cannot reach into the rootfs.
    /// </summary>
    private void RemoveStateDir(string id)
    {
        RemoveRestoreMounts(id);
        Store.Remove(id);
    }

    /// <summary>
    /// CRIU's root, empty mask, tmpfs copies and cgroup yard: what a restore mounts in the state
    /// directory (a killed one leaves them). Removed side by side: each unmount waits for a grace
    /// period, and the waits of threads of their own overlap.
    /// </summary>
    private void RemoveRestoreMounts(string id)
    {
        var removals = new (string Path, Action<string> Remove)[]
        {
            (Store.CriuRootPath(id), CriuRoot.Remove),
            (Store.CriuEmptyMaskPath(id), CriuRoot.Remove),
            (Store.TmpfsCopiesPath(id), TmpfsReplicas.Remove),
            (Store.CgroupYardPath(id), CgroupYard.Remove),
        }.Where(r => Path.Exists(r.Path)).ToList();
        var tasks = removals.Select(r => Task.Run(() => r.Remove(r.Path))).ToList();
        tasks.ForEach(t => t.Settle());
        // The first failure in the order above, as if the removals had run one by one.
        if (tasks.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException is { } failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }
    }

    public static string FormatTime(DateTime utc)
    {
        // RFC 3339 with nanoseconds, as Go prints time.RFC3339Nano (trailing zeros kept: any parser accepts them).
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture) + "00Z";
    }
}
