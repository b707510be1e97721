using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

/// <summary>The container verbs over one state root; one partial file per verb.</summary>
public sealed partial class Containers(StateStore store)
{
    public StateStore Store { get; } = store;

    /// <summary>Loads a container or fails with runc's "container does not exist".</summary>
    public ContainerRecord Load(string id) =>
        Store.Load(id) ?? throw new ContainerException("container does not exist");

    public ContainerStatus StatusOf(ContainerRecord r)
    {
        if (!ProcFs.IsAlive(r.InitPid, r.InitStartTime))
        {
            return ContainerStatus.Stopped;
        }
        if (File.Exists(Store.FifoPath(r.Id)))
        {
            return ContainerStatus.Created;
        }
        return new CgroupManager(r.CgroupPaths).IsFrozen() ? ContainerStatus.Paused : ContainerStatus.Running;
    }

    public static string FormatTime(DateTime utc)
    {
        // RFC 3339 with nanoseconds, as Go prints time.RFC3339Nano (trailing zeros kept: any parser accepts them).
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture) + "00Z";
    }
}
