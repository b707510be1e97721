using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Criu;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Process;
using Ocirun.Runtime.State;
using Ocirun.Spec.Known;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>
    /// Restores a container from CRIU images under a (possibly new) id and bundle. CRIU runs in
    /// the new container's cgroup, so the restored tasks land there and every cgroup path in the
    /// images is re-rooted to it. Returns the record of the restored container.
    /// </summary>
    public ContainerRecord Restore(RestoreOptions o)
    {
        StateStore.ValidateId(o.Id);
        ImageManifest.WarmUpHashing();
        var criu = new CriuClient(CriuLocator.Find(o.CriuPath));
        // CRIU starts first (its start is a good part of a small restore's time) and loads while
        // the bundle is read, the images are checked and the container is prepared; it gets its
        // request at the end. A spec that hands CRIU namespaces as fds needs a worker started
        // with them: that one is started once the spec is read, and this one is let go.
        using var early = criu.Start();
        MigrationWarmUp.Start();
        var (bundle, spec, rootfs) = OpenBundle(o.Bundle, new CreateOptions { Id = o.Id, ConsoleSocket = o.ConsoleSocket, Detach = o.Detach });
        if (o.LazyPages)
        {
            RequireFeature(criu, memTrack: false, "lazy pages need userfaultfd, which this kernel or CRIU lacks");
        }
        var imageDir = Path.GetFullPath(o.ImagePath);
        if (!File.Exists(Path.Combine(imageDir, "inventory.img")))
        {
            throw new ContainerException($"no checkpoint images in {imageDir}");
        }
        var namespaces = new CriuOpts();
        using var withFds = RestoreNamespaces.StartWorkerIfFdsNeeded(criu, spec, namespaces);
        var worker = withFds ?? early;
        DebugLog.Write($"restore: criu worker (pid {worker.Pid})");
        var pagesCheck = ImageManifest.Verify(imageDir, deferPages: true, sealDir: ImageSeal.HostDir);
        var workDir = Path.GetFullPath(o.WorkPath ?? imageDir);
        Directory.CreateDirectory(workDir);
        CgroupYard.RemoveLeftInWorkDir(workDir);
        MountNamespaceYard.RemoveLeftInWorkDir(workDir, RestoreLog);
        var cgroups = CgroupsFor(spec, o.Id);
        Store.CreateDir(o.Id);
        var criuRoot = Store.CriuRootPath(o.Id);
        int pid = 0;
        Task? joining = null, yardMade = null;
        using var unpacking = new TmpfsArchives.Unpacking(imageDir);
        try
        {
            using var dirLock = Store.Lock(o.Id);
            var record = SaveInitialRecord(o.Id, spec, bundle, rootfs, cgroups, o.NoPivot);
            // CRIU's worker goes into the new cgroups before the request: the restored tasks are
            // created there. A move may wait for what is left of a grace period (MigrationWarmUp),
            // holding the lock that making a cgroup takes too, so the cgroups are made and the
            // worker moved on a thread while the rest is prepared (none of it needs them).
            var resources = spec.Linux?.Resources ?? new Spec.Model.Resources();
            joining = Task.Run(() =>
            {
                if (cgroups.Scope != null)
                {
                    // The scope is made for CRIU's worker, which then creates the restored tasks in it.
                    cgroups.StartScope(o.Id, worker.Pid, resources);
                }
                else
                {
                    cgroups.Prepare(resources);
                }
                cgroups.Join(worker.Pid);
            });
            // CRIU's cgroup yard is made meanwhile too.
            yardMade = Task.Run(() => CgroupYard.Prepare(Store.CgroupYardPath(o.Id)));
            CriuRoot.Prepare(spec, rootfs, criuRoot);
            var emptyMask = CriuRoot.PrepareEmptyMask(spec, Store.CriuEmptyMaskPath(o.Id));
            var tmpfsCopies = TmpfsReplicas.Build(spec, rootfs, cgroups.Paths, Store.TmpfsCopiesPath(o.Id), unpacking);
            yardMade.GetAwaiter().GetResult();
            pid = RunRestore(o, record, spec, worker, namespaces, cgroups, joining, unpacking, imageDir, workDir, criuRoot,
                CriuMounts.ForRestore(spec, cgroups.Paths, emptyMask, tmpfsCopies), Store.CgroupYardPath(o.Id), pagesCheck);
            SaveInit(record, pid, o.PidFile);
            // Once the container runs again: compiling the profile is no part of its frozen time.
            ExecBase.From(spec, CompileSeccomp(spec)).SaveTo(Store, o.Id);
            return record;
        }
        catch
        {
            joining.Settle(); // done moving before the cgroups go
            yardMade.Settle(); // done mounting before the state directory goes
            unpacking.Dispose(); // no tar left writing into the copies
            Abandon(o.Id, pid, cgroups);
            // A cgroup refused is the first failure, as when the cgroups were made before the rest.
            if (joining?.Exception?.InnerException is { } refused)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
            }
            throw;
        }
        finally
        {
            yardMade.Settle();
            RemoveRestoreMounts(o.Id);
        }
    }

    private int RunRestore(RestoreOptions o, ContainerRecord record, Spec.Model.Spec spec, CriuSwrk worker, CriuOpts namespaces,
        CgroupManager cgroups, Task joining, TmpfsArchives.Unpacking unpacking, string imageDir, string workDir, string criuRoot, List<ExtMountMap> externalMounts, string cgroupYard,
        DeferredImageCheck? pagesCheck)
    {
        using var images = new Linux.Fd(Sys.Open(imageDir, O_DIRECTORY | O_RDONLY));
        using var work = new Linux.Fd(Sys.Open(workDir, O_DIRECTORY | O_RDONLY));
        var opts = CriuOptionsBuilder.Common(o, images.Value, work.Value, RestoreLog, spec);
        opts.Root = criuRoot;
        opts.CgroupYard = cgroupYard;
        opts.RstSibling = true;
        opts.EvasiveDevices = true;
        if (o.LsmProfile != null)
        {
            opts.LsmProfile = o.LsmProfile;
        }
        if (o.LsmMountContext != null)
        {
            opts.LsmMountContext = o.LsmMountContext;
        }
        opts.ExtMnt.AddRange(externalMounts);
        NetworkLock.SkipUnlessNeeded(opts, NetworkLock.NeededForRestore(o.TcpEstablished, opts.HasConfigFile));

        // CRIU's own fds: 0-2 are ours (the caller's new stdio), 4 and up the inherited ones.
        InitDescriptors.AddInheritance(imageDir, opts);
        opts.InheritFd.AddRange(namespaces.InheritFd);
        opts.JoinNs.AddRange(namespaces.JoinNs);
        worker.GatedVersion();
        unpacking.Finish();
        joining.GetAwaiter().GetResult();
        foreach (var (ctrl, path) in CgroupMounts.ParseProcCgroup(File.ReadAllText($"/proc/{worker.Pid}/cgroup")))
        {
            opts.CgRoot.Add(ctrl == CgroupMount.V2Key ? new CgroupRoot { Path = path } : new CgroupRoot { Ctrl = ctrl, Path = path });
        }
        int restored = 0;
        DebugLog.Write("restore: request sent to criu");
        var resp = worker.Call(new CriuReq { Type = CriuReqType.Restore, Opts = opts }, (script, pid, fd) =>
        {
            switch (script)
            {
                case "setup-namespaces":
                    DebugLog.Write("restore: criu made the namespaces");
                    // CRIU restores the network namespace empty; sockets on 127.0.0.1 need lo up.
                    if (spec.Linux?.Namespaces?.Any(n => n.Type == NamespaceTypes.Network && string.IsNullOrEmpty(n.Path)) == true)
                    {
                        Loopback.UpIn(pid);
                    }
                    var state = Spec.Model.ContainerStateDocument.ForHook(spec, o.Id, pid, "creating", record.Bundle, record.Rootfs).ToJson(indented: false);
                    OciHooks.HookRunner.RunAll("prestart", spec.Hooks?.Prestart, state);
                    OciHooks.HookRunner.RunAll("createRuntime", spec.Hooks?.CreateRuntime, state);
                    break;
                case "orphan-pts-master" when fd is { } master:
                    ConsoleHandoff.Send(o.ConsoleSocket, master);
                    break;
                case "post-restore":
                    DebugLog.Write("restore: criu restored the memory");
                    // The memory is in place and nothing runs yet: a failure here makes
                    // CRIU kill the restored tree instead of resuming it.
                    if (pagesCheck != null)
                    {
                        pagesCheck.Wait();
                        DebugLog.Write("restore: the pages are as dumped");
                    }
                    restored = pid;
                    break;
            }
            return true;
        });
        DebugLog.Write("restore: criu answered");
        if (!resp.Success)
        {
            throw CriuFailure("restore", workDir, RestoreLog);
        }
        if (restored == 0 && pagesCheck != null)
        {
            // No post-restore notification came (CRIU sends one to every RPC caller): check
            // now, and take the restored tree down if its memory was not what was dumped.
            try
            {
                pagesCheck.Wait();
            }
            catch
            {
                Sys.KillAndReap(resp.Restore.Pid);
                throw;
            }
        }
        return restored > 0 ? restored : resp.Restore.Pid;
    }
}
