using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <param name="signalOf">Reads the signal, once the container is known: runc's order, so a
    /// bad signal for a container that does not exist is "container does not exist".</param>
    public void Kill(string id, Func<int> signalOf, bool all)
    {
        var r = Load(id);
        int signal = signalOf();
        var status = StatusOf(r);
        // A rootless container the caller could give no cgroup has only its init to signal
        // (with its own pid namespace, killing the init ends the rest).
        if (all && r.CgroupPaths.Count > 0)
        {
            // Every process of the cgroup; fine on a stopped container, as callers clean up with it.
            var cg = CgroupDriver.For(r.CgroupPaths);
            foreach (var pid in cg.Pids())
            {
                Libc.kill(pid, signal);
            }
            if (signal == Consts.SIGKILL && status == ContainerStatus.Paused)
            {
                cg.Thaw();
            }
            return;
        }
        if (status == ContainerStatus.Stopped)
        {
            if (all)
            {
                return;
            }
            throw new ContainerException("container not running");
        }
        if (Libc.kill(r.InitPid, signal) < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new ContainerException(errno == Consts.ESRCH ? "container not running" : $"unable to signal init: {Linux.LinuxException.ErrnoText(errno)}");
        }
        if (signal == Consts.SIGKILL && status == ContainerStatus.Paused)
        {
            // A frozen process cannot die; runc thaws on SIGKILL as well.
            CgroupDriver.For(r.CgroupPaths).Thaw();
        }
    }
}
