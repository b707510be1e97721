using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>
    /// For a foreground `run`: forwards signals to the init, waits for it (it is our child) and
    /// returns its exit status, 128+N for a signal. Removes the container unless keep is set.
    /// </summary>
    public int WaitForeground(ContainerRecord r, bool keep, IEnumerable<int> forwarded)
    {
        int code = WaitChild(r.InitPid, forwarded);
        if (!keep)
        {
            using var l = Store.Lock(r.Id);
            Destroy(r);
        }
        return code;
    }

    /// <summary>Waits for a child, passing the given signals on to it; the shell's exit code convention.</summary>
    private static int WaitChild(int pid, IEnumerable<int> forwarded)
    {
        var regs = new List<PosixSignalRegistration>();
        foreach (var sig in forwarded)
        {
            regs.Add(PosixSignalRegistration.Create((PosixSignal)sig, ctx =>
            {
                ctx.Cancel = true;
                Libc.kill(pid, sig);
            }));
        }
        int status;
        try
        {
            status = Sys.WaitPid(pid);
        }
        finally
        {
            foreach (var reg in regs)
            {
                reg.Dispose();
            }
        }
        return status < 0 ? 255 : Sys.ExitCodeOf(status);
    }
}
