using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    public void Delete(string id, bool force)
    {
        StateStore.ValidateId(id);
        using var l = Store.Lock(id);
        ContainerRecord? r;
        try
        {
            r = Store.Load(id);
        }
        catch (ContainerException) when (force && l != null)
        {
            // State we cannot read names no process or cgroup to clean: the directory goes.
            RemoveStateDir(id);
            return;
        }
        if (r == null)
        {
            if (l != null)
            {
                // A directory without state: a create that died half-way. Nothing runs there.
                RemoveStateDir(id);
                return;
            }
            if (force)
            {
                return;
            }
            throw new ContainerException("container does not exist");
        }
        var status = StatusOf(r);
        if (status is ContainerStatus.Running or ContainerStatus.Paused && !force)
        {
            throw new ContainerException($"cannot delete container {id} that is not stopped: {status.ToText()}");
        }
        if (status != ContainerStatus.Stopped)
        {
            KillAndWait(r, status);
        }
        Destroy(r);
    }

    private static void KillAndWait(ContainerRecord r, ContainerStatus status)
    {
        Libc.kill(r.InitPid, SIGKILL);
        if (status == ContainerStatus.Paused)
        {
            CgroupDriver.For(r.CgroupPaths).Thaw();
        }
        WaitForExit(r, TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits until the init is gone (or a zombie); reaps it when it is our child.</summary>
    internal static unsafe void WaitForExit(ContainerRecord r, TimeSpan timeout)
    {
        if (Sys.WaitPid(r.InitPid, noHang: true) is var s && s != int.MinValue && s != -1)
        {
            return;
        }
        using var pidfd = new Fd(Sys.PidfdOpen(r.InitPid));
        if (pidfd.Value >= 0)
        {
            var pfd = new PollFd { Fd = pidfd.Value, Events = POLLIN };
            Libc.poll(&pfd, 1, (int)timeout.TotalMilliseconds);
            Sys.WaitPid(r.InitPid, noHang: true);
            return;
        }
        var deadline = DateTime.UtcNow + timeout;
        while (ProcFs.IsAlive(r.InitPid, r.InitStartTime) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
    }

    /// <summary>Removes cgroups (killing stragglers), runs poststop hooks and forgets the container.</summary>
    internal void Destroy(ContainerRecord r)
    {
        CgroupManager.Of(r).Destroy();
        try
        {
            OciHooks.HookRunner.RunAll("poststop", r.Hooks?.Poststop, StateJson(r, ContainerStatus.Stopped));
        }
        finally
        {
            RemoveStateDir(r.Id);
        }
    }
}
