using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Criu;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    public const string DumpLog = "dump.log", RestoreLog = "restore.log";

    /// <summary>
    /// Dumps a running (or paused) container into CRIU images. Without --leave-running the
    /// container is gone afterwards; if the dump fails it keeps running untouched.
    /// </summary>
    public void Checkpoint(string id, CheckpointOptions o)
    {
        using var l = Store.Lock(id) ?? throw new ContainerException("container does not exist");
        var criu = new CriuClient(CriuLocator.Find(o.CriuPath));
        // CRIU starts first: its start (some 15 ms) then overlaps all of ocirun's preparation.
        // Should the container turn out not to be checkpointable, it is killed when let go.
        using var worker = criu.Start();
        DebugLog.Write($"checkpoint: criu worker started (pid {worker.Pid})");
        // So that CRIU's breakpoints do not wait for a grace period while the container is frozen.
        using var breakpoints = BreakpointWarmUp.Start();
        var r = Load(id);
        var status = StatusOf(r);
        if (status is not (ContainerStatus.Running or ContainerStatus.Paused))
        {
            throw new ContainerException($"Container cannot be checkpointed in {status.ToText()} state");
        }
        var spec = LoadSpec(r.Bundle);
        if (o.PreDump || o.ParentPath != null)
        {
            RequireFeature(criu, memTrack: true, "pre-dump is impossible here: this kernel does not track dirty memory "
                + "(no soft-dirty support), so CRIU cannot make incremental checkpoints; checkpoint without --pre-dump/--parent-path");
        }
        if (o.LazyPages)
        {
            RequireFeature(criu, memTrack: false, "lazy pages need userfaultfd, which this kernel or CRIU lacks");
            RequirePipeSize();
        }
        // Lazy pages and page servers keep pages elsewhere: no one set to move into place or describe.
        bool wholeSet = !o.LazyPages && o.PageServer == null;
        using var staged = StagedImages.Create(Path.GetFullPath(o.ImagePath), allowStaging: wholeSet);
        var imageDir = staged.Dir;
        var workDir = Path.GetFullPath(o.WorkPath ?? imageDir);
        Directory.CreateDirectory(workDir);
        using var images = new Linux.Fd(Sys.Open(imageDir, O_DIRECTORY | O_RDONLY));
        using var work = new Linux.Fd(Sys.Open(workDir, O_DIRECTORY | O_RDONLY));

        var opts = CriuOptionsBuilder.Common(o, images.Value, work.Value, DumpLog, spec);
        opts.Pid = r.InitPid;
        opts.Root = r.Rootfs;
        opts.LeaveRunning = o.LeaveRunning || o.PreDump;
        var cgroups = CgroupDriver.For(r.CgroupPaths);
        if (cgroups.FreezerPath is { } freezer)
        {
            opts.FreezeCgroup = freezer;
        }
        opts.ExtMnt.AddRange(CriuMounts.ForDump(spec, p => IsFileIn(r.InitPid, p), r.CgroupPaths, p => Rootfs.InRoot.RealPath(r.Rootfs, p),
            EmptyMasks(spec, r)));
        opts.External.AddRange(ExternalNamespaces(spec));
        NetworkLock.SkipUnlessNeeded(opts, NetworkLock.NeededForDump(o.TcpEstablished, opts.HasConfigFile,
            NetworkLock.Interfaces(File.ReadAllText($"/proc/{r.InitPid}/net/dev"))));
        if (o.ParentPath != null)
        {
            opts.ParentImg = o.ParentPath;
            opts.TrackMem = true;
        }
        if (o.PreDump)
        {
            opts.TrackMem = true;
        }
        if (o.PageServer != null)
        {
            opts.Ps = PageServer(o.PageServer);
        }
        // The init's stdio, so a restore can wire the caller's new pipes in their place.
        InitDescriptors.Write(imageDir, r.InitPid);

        var req = new CriuReq { Type = o.PreDump ? CriuReqType.PreDump : CriuReqType.Dump, Opts = opts };
        InterruptedCheckpoint.Begin(Store.Dir(id), wasPaused: status == ContainerStatus.Paused);
        var copiesDir = Store.TmpfsCopiesPath(id);
        // The container's tmpfs mounts as compared, and the copies: letting go of either waits
        // for a grace period, done while CRIU dumps rather than while the container is frozen.
        using var clones = new Linux.FdSet();
        Task? copiesRemoval = null;
        // Without a yard CRIU mounts every hierarchy itself at every dump. It is made while the
        // copies are built, and unmade while the manifest is written (unmounting waits for a
        // grace period).
        var yard = Store.CgroupYardPath(id);
        Task yardWork = Task.Run(() => CgroupYard.Prepare(yard));
        try
        {
            bool freezable = status == ContainerStatus.Running && opts.FreezeCgroup != null;
            // Built while CRIU starts: only the comparison needs the container frozen.
            var copies = status == ContainerStatus.Paused || freezable ? TmpfsReplicas.Build(spec, r.Rootfs, r.CgroupPaths, copiesDir) : null;
            yardWork.GetAwaiter().GetResult();
            opts.CgroupYard = yard;
            var version = worker.GatedVersion();
            using var hasher = wholeSet ? ImageHasher.Start(imageDir) : null;
            using var archives = new TmpfsArchives.Runs();
            bool frozenHere = freezable && FreezeBeforeCriu(cgroups);
            try
            {
                if (copies != null && (frozenHere || status == ContainerStatus.Paused))
                {
                    // Compared while nothing in the container runs: what is the same now is what CRIU would archive.
                    var (same, archived) = TmpfsForImages(r, copies, clones, o.PreDump ? null : imageDir, archives);
                    opts.ExtMnt.AddRange(CriuMounts.ForCopiedTmpfs(same.Concat(archived), p => Rootfs.InRoot.RealPath(r.Rootfs, p)));
                    copiesRemoval = Task.Run(() =>
                    {
                        clones.Dispose(); // tar has its own
                        TmpfsReplicas.Remove(copiesDir);
                    });
                }
                DebugLog.Write("checkpoint: request sent to criu");
                Dump(o, worker, req, workDir, o.WorkPath == null ? staged : null, archives);
                DebugLog.Write("checkpoint: criu answered");
                yardWork = Task.Run(() => CgroupYard.Remove(yard));
            }
            catch when (frozenHere)
            {
                cgroups.Thaw();
                throw;
            }
            // CRIU leaves the cgroup as it found it: frozen.
            if (frozenHere && opts.LeaveRunning)
            {
                cgroups.Thaw();
            }
            if (wholeSet)
            {
                var keys = new Dictionary<string, HashedKey>(StringComparer.Ordinal);
                var manifest = ImageManifest.Describe(imageDir, version.ToString(), Path.Combine(r.Bundle, "config.json"),
                    hasher == null ? null : hasher.Known, keys);
                Seal(manifest.WriteTo(imageDir), imageDir, keys);
            }
            staged.Commit();
            DebugLog.Write("checkpoint: images in place");
        }
        finally
        {
            copiesRemoval.Settle();
            TmpfsReplicas.Remove(copiesDir);
            yardWork.Settle();
            CgroupYard.Remove(yard);
            InterruptedCheckpoint.End(Store.Dir(id));
        }
        if (!opts.LeaveRunning)
        {
            Destroy(r);
        }
    }

    /// <summary>Seals the images for a restore here (<see cref="ImageSeal"/>); without a seal it only hashes them all.</summary>
    private static void Seal(string manifestSha256, string imageDir, Dictionary<string, HashedKey> keys)
    {
        try
        {
            ImageSeal.Write(ImageSeal.HostDir, manifestSha256, imageDir, keys);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DebugLog.Write($"checkpoint: images not sealed ({e.Message}); a restore hashes them all");
        }
    }

    /// <param name="logsWithImages">The staging directory when the log is written with the images:
    /// a failure's log is then moved to where the caller looks for it.</param>
    /// <param name="archives">The tmpfs archives being made: done before CRIU lets the container go
    /// (post-dump comes before CRIU kills the dumped tasks; a failure there has them resume).</param>
    private static void Dump(CheckpointOptions o, CriuSwrk worker, CriuReq req, string workDir, StagedImages? logsWithImages,
        TmpfsArchives.Runs archives)
    {
        var resp = worker.Call(req, (script, _, _) =>
        {
            if (script == "post-dump")
            {
                archives.Wait();
            }
            if (script == "status-ready" && o.StatusFd >= 0)
            {
                // runc's protocol: one NUL byte on --status-fd when the lazy-pages server listens.
                Sys.WriteAll(o.StatusFd, new byte[1], "--status-fd");
                Libc.close(o.StatusFd);
            }
            return true;
        });
        if (!resp.Success)
        {
            var error = CriuFailure("checkpoint", workDir, DumpLog, logsWithImages?.KeepLog(DumpLog));
            throw error;
        }
    }

    /// <summary>
    /// Freezes a running container's v1 freezer cgroup before CRIU does: CRIU checks a v1
    /// freezer every 100 ms until its tasks are frozen, which often costs a whole 100 ms of
    /// the container's frozen time; this checks every millisecond. If the tasks do not freeze
    /// within a second, CRIU gets the cgroup thawed as before and tries with its own (longer)
    /// timeout. The interrupted-checkpoint marker is in place, so a checkpoint killed from
    /// here on leaves the container thawed by the next command, as if CRIU had frozen it.
    /// </summary>
    private static bool FreezeBeforeCriu(ICgroupDriver cgroups)
    {
        try
        {
            cgroups.Freeze();
            return true;
        }
        catch (ContainerException)
        {
            return false;
        }
    }

    /// <summary>
    /// CRIU's page transfer grows its pipes to 4 MiB; without CAP_SYS_RESOURCE that needs
    /// fs.pipe-max-size at least that large, or the transfer fails half-way.
    /// </summary>
    private static void RequirePipeSize()
    {
        const long needed = 4 << 20;
        if (Directory.Exists("/proc/sys/fs") && long.TryParse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), out var size)
            && size < needed)
        {
            throw new ContainerException($"lazy pages need fs.pipe-max-size >= {needed} (it is {size}): run `sysctl -w fs.pipe-max-size={needed}`");
        }
    }

    private static void RequireFeature(CriuClient criu, bool memTrack, string message)
    {
        var f = criu.FeatureCheck(memTrack, lazyPages: !memTrack);
        if (memTrack ? !f.MemTrack : !f.LazyPages)
        {
            throw new ContainerException(message);
        }
    }

    /// <summary>Namespaces joined by path are outside the dump: CRIU records them under runc's keys.</summary>
    private static IEnumerable<string> ExternalNamespaces(Spec.Model.Spec spec)
    {
        foreach (var ns in spec.Linux?.Namespaces ?? [])
        {
            if (string.IsNullOrEmpty(ns.Path) || ns.Type is not ("network" or "pid"))
            {
                continue;
            }
            var ino = Inode(ns.Path);
            yield return ns.Type == "network" ? $"net[{ino}]:extRootNetNS" : $"pid[{ino}]:extRootPidNS";
        }
    }

    /// <summary>
    /// The namespace's inode by stat(2), which follows both a /proc/PID/ns link and the nsfs
    /// bind mount `ip netns add` makes at /run/netns/NAME (not a link at all).
    /// </summary>
    private static unsafe ulong Inode(string path)
    {
        StatBuf st;
        if (Libc.stat(path, &st) != 0)
        {
            throw LinuxException.Last($"cannot find the namespace inode of {path}");
        }
        return st.Ino;
    }

    /// <summary>
    /// The tmpfs mounts that hold just what a restore's copies will (<see cref="TmpfsReplicas"/>),
    /// and those that differ and are being archived into archiveDir (<see cref="TmpfsArchives"/>;
    /// none without an archiveDir or a tar: CRIU archives them then). The copies are removed once compared.
    /// </summary>
    /// <param name="clones">Takes the clones of the container's tmpfs mounts.</param>
    private static (List<string> Same, List<string> Archived) TmpfsForImages(ContainerRecord r, Dictionary<string, string> copies,
        Linux.FdSet clones, string? archiveDir, TmpfsArchives.Runs archives)
    {
        // Each of the container's tmpfs alone, without what is mounted in it: a clone of that
        // one mount, taken in the container's mount namespace (where its paths and symlinks
        // mean what they mean to the container), so that what a mount point hides is compared
        // too, as CRIU's tar would archive it.
        var live = Linux.NamespaceThread.Run(r.InitPid, "mnt", Linux.NamespaceThread.CloneNewNs,
            () => copies.Keys.ToDictionary(d => d, d => clones.Add(Rootfs.MountSources.TryClone(d, recursive: false))));
        var same = copies.Where(c => live[c.Key] >= 0 && TreeComparer.Same(Rootfs.InRoot.ProcPath(live[c.Key]), c.Value))
            .Select(c => c.Key).ToList();
        var archived = new List<string>();
        if (archiveDir != null)
        {
            TmpfsArchives.RemoveOld(archiveDir);
            var tar = TmpfsArchives.Tar();
            foreach (var dest in tar == null ? [] : copies.Keys.Except(same).Where(d => live[d] >= 0))
            {
                archives.Add(TmpfsArchives.StartCreate(tar!, live[dest], Path.Combine(archiveDir, TmpfsArchives.FileName(dest))), dest);
                archived.Add(dest);
            }
        }
        DebugLog.Write($"checkpoint: tmpfs made again on restore: [{string.Join(" ", same)}]; archived by ocirun: [{string.Join(" ", archived)}]; "
            + $"archived by CRIU: [{string.Join(" ", copies.Keys.Except(same).Except(archived))}]");
        return (same, archived);
    }

    /// <summary>The masked directories whose empty masks a restore can make again (<see cref="CriuMounts.EmptyMasks"/>).</summary>
    private static List<string> EmptyMasks(Spec.Model.Spec spec, ContainerRecord r)
    {
        if (spec.Linux?.MaskedPaths is not { Count: > 0 } masked)
        {
            return [];
        }
        var dirs = masked.Select(p => Rootfs.InRoot.RealPath(r.Rootfs, Rootfs.MountPlanner.Normalize(p)));
        return CriuMounts.EmptyMasks(MountInfo.Parse(File.ReadAllText($"/proc/{r.InitPid}/mountinfo")), dirs,
            p => !Directory.EnumerateFileSystemEntries($"/proc/{r.InitPid}/root{p}").Any());
    }

    private static bool IsFileIn(int pid, string path)
    {
        var full = $"/proc/{pid}/root{path}";
        return File.Exists(full) || (Path.Exists(full) && !Directory.Exists(full));
    }

    private static CriuPageServerInfo PageServer(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port))
        {
            throw new ContainerException($"invalid --page-server {value}: expected ADDRESS:PORT");
        }
        return new CriuPageServerInfo { Address = value[..colon], Port = port };
    }

    /// <summary>CRIU's answer says only "failed": the reason is the first error in its log.</summary>
    /// <param name="logNowIn">Where the log was moved since (see <see cref="StagedImages.KeepLog"/>).</param>
    private static ContainerException CriuFailure(string what, string workDir, string logFile, string? logNowIn = null)
    {
        var error = CriuLog.ReadFirstError(logNowIn ?? workDir, logFile);
        var logPath = Path.Combine(logNowIn ?? workDir, logFile);
        return new ContainerException(error == null
            ? $"criu failed during {what}; see {logPath}"
            : $"criu failed during {what}: {error} (log: {logPath})");
    }
}
