using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// A restore into namespaces the spec gives by path: CRIU's worker inherits the network and pid
/// ones as fds (CRIU's external namespaces) and joins the others itself.
/// </summary>
public static class RestoreNamespaces
{
    /// <summary>
    /// namespaces gets the inherit_fd and join_ns entries for the request. When the spec gives
    /// network or pid namespaces by path, a CRIU worker is started with them as its inherited
    /// fds and returned; otherwise null: any worker will do.
    /// </summary>
    public static CriuSwrk? StartWorkerIfFdsNeeded(CriuClient criu, Spec.Model.Spec spec, CriuOpts namespaces)
    {
        var extraFds = new List<(int Source, int Target)>();
        using var toClose = new FdSet(); // the worker has its own copies
        Add(spec, namespaces, extraFds, toClose);
        return extraFds.Count > 0 ? criu.Start(extraFds) : null;
    }

    /// <summary>Namespaces given by path: network/pid handed to CRIU as fds, the others joined.</summary>
    private static void Add(Spec.Model.Spec spec, CriuOpts opts, List<(int, int)> extraFds, FdSet toClose)
    {
        foreach (var ns in spec.Linux?.Namespaces ?? [])
        {
            if (string.IsNullOrEmpty(ns.Path))
            {
                continue;
            }
            switch (ns.Type)
            {
                case "network" or "pid":
                    int fd = toClose.Add(Sys.Open(ns.Path, O_RDONLY));
                    int target = 4 + extraFds.Count;
                    extraFds.Add((fd, target));
                    opts.InheritFd.Add(new InheritFd { Key = ns.Type == "network" ? "extRootNetNS" : "extRootPidNS", Fd = target });
                    break;
                case "ipc" or "uts" or "time" or "user":
                    opts.JoinNs.Add(new JoinNamespace { Ns = ns.Type, NsFile = ns.Path });
                    break;
                default:
                    throw new ContainerException($"restore cannot join a {ns.Type} namespace given by path");
            }
        }
    }
}
