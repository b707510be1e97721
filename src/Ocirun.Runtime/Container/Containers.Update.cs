using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.State;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>Changes the limits of a live container; fields left out stay as they are.</summary>
    /// <param name="resourcesOf">Reads the new limits once the container is known (runc's order).</param>
    public void Update(string id, Func<Spec.Model.Resources> resourcesOf)
    {
        using var l = Store.Lock(id) ?? throw new ContainerException("container does not exist");
        var r = Load(id);
        var resources = resourcesOf();
        if (StatusOf(r) == ContainerStatus.Stopped)
        {
            throw new ContainerException("container not running");
        }
        // Devices are fixed at create, as with runc: update ignores them.
        CgroupManager.Of(r).Update(resources);
    }
}
