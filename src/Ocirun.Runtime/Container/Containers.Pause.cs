using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    public void Pause(string id)
    {
        using var l = Store.Lock(id) ?? throw new ContainerException("container does not exist");
        var r = Load(id);
        // runc pauses a created container too (its init waits on the exec fifo, frozen).
        if (StatusOf(r) is not (ContainerStatus.Running or ContainerStatus.Created))
        {
            throw new ContainerException("container not running");
        }
        CgroupDriver.For(r.CgroupPaths).Freeze();
    }

    public void Resume(string id)
    {
        using var l = Store.Lock(id) ?? throw new ContainerException("container does not exist");
        var r = Load(id);
        if (StatusOf(r) != ContainerStatus.Paused)
        {
            throw new ContainerException("container not paused");
        }
        CgroupDriver.For(r.CgroupPaths).Thaw();
    }
}
