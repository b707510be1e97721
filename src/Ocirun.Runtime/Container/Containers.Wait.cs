using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>
    /// For a foreground `run` or `restore`: waits for the init (it is our child) and returns its
    /// exit status, 128+N for a signal. Removes the container unless keep is set. Signals reach
    /// the init through a <see cref="SignalForwarder"/> the caller set up before creating it.
    /// </summary>
    public int WaitForeground(ContainerRecord r, bool keep)
    {
        int code = WaitChild(r.InitPid);
        if (!keep)
        {
            using var l = Store.Lock(r.Id);
            Destroy(r);
        }
        return code;
    }

    /// <summary>Waits for a child; the shell's exit code convention.</summary>
    private static int WaitChild(int pid)
    {
        int status = Sys.WaitPid(pid);
        return status < 0 ? 255 : Sys.ExitCodeOf(status);
    }
}
