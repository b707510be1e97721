using Ocirun.Runtime.Interop;
using Ocirun.Spec.Model;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// User namespaces that exist only to carry an id mapping for MOUNT_ATTR_IDMAP: made with the
/// given maps, held open by fd, one per distinct mapping. Nothing ever runs in them.
/// </summary>
internal sealed class IdmapUserns : IDisposable
{
    private readonly Dictionary<string, int> _byMapping = new();

    /// <summary>An fd of a user namespace with these maps (the same one for the same maps).</summary>
    public int For(IReadOnlyList<IdMapping> uids, IReadOnlyList<IdMapping> gids)
    {
        var uidMap = MapText(uids);
        var gidMap = MapText(gids);
        var key = uidMap + "|" + gidMap;
        if (_byMapping.TryGetValue(key, out var fd))
        {
            return fd;
        }
        int pid = OciNative.ocirun_userns_holder(out int release);
        if (pid < 0)
        {
            throw LinuxException.Last("create a user namespace for an id-mapped mount");
        }
        try
        {
            Sys.WriteFile($"/proc/{pid}/uid_map", uidMap);
            Sys.WriteFile($"/proc/{pid}/gid_map", gidMap);
            fd = Sys.Open($"/proc/{pid}/ns/user", O_RDONLY);
        }
        finally
        {
            Libc.close(release);
            Sys.WaitPid(pid);
        }
        _byMapping[key] = fd;
        return fd;
    }

    /// <summary>The /proc/PID/uid_map text of a spec mapping: "inside outside size" lines.</summary>
    public static string MapText(IEnumerable<IdMapping> maps) =>
        string.Concat(maps.Select(m => $"{m.ContainerId} {m.HostId} {m.Size}\n"));

    public void Dispose()
    {
        foreach (var fd in _byMapping.Values)
        {
            Libc.close(fd);
        }
        _byMapping.Clear();
    }
}
