using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Known;
using Ocirun.Spec.Model;
using Ocirun.Runtime.Sync;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Bind sources the parent takes on the host, with the host's privileges, before the container
/// exists, as detached mount trees (open_tree OPEN_TREE_CLONE) that the init attaches with
/// move_mount, as runc 1.2+ does:
/// - idmapped mounts (idmap, ridmap, or mappings on the mount): MOUNT_ATTR_IDMAP needs the
///   privileges of the user namespace that owns the source's mount, which only the host has;
/// - in a user namespace, every other bind source outside the rootfs: a source only root can
///   reach (a 0700 directory) is then still bound, where the init, root only in its own user
///   namespace, is refused. Sources inside the rootfs may depend on the container's earlier
///   mounts and are left to the init.
/// An idmapped source inside the rootfs is the exception to both: it can depend on earlier
/// mounts and still needs the host's privileges, so the init asks for it when its turn comes
/// (<see cref="SyncType.MountSourcePlease"/>) and the parent takes it from within the
/// container's mount namespace (<see cref="NamespaceThread"/>), as runc 1.2+ does.
/// </summary>
internal static class MountSources
{
    /// <summary>
    /// Opens the sources the spec needs; returns spec mount index → fd (the caller closes them).
    /// deferred gets the indexes of idmapped sources the init will ask for.
    /// </summary>
    public static Dictionary<int, int> Open(Spec.Model.Spec spec, string rootfs, List<int> deferred)
    {
        var result = new Dictionary<int, int>();
        var userNs = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == NamespaceTypes.User);
        using var idmaps = new IdmapUserns();
        try
        {
            var mounts = spec.Mounts ?? [];
            for (int i = 0; i < mounts.Count; i++)
            {
                var m = mounts[i];
                var opts = MountOptions.Parse(m.Options);
                if (!opts.Bind || m.Source is not { Length: > 0 } source)
                {
                    continue;
                }
                if (IsIdmapped(m, opts) && InRootfs(source, rootfs))
                {
                    deferred.Add(i);
                }
                else if (IsIdmapped(m, opts))
                {
                    result[i] = OpenIdmapped(spec, i, idmaps);
                }
                else if (userNs != null && !InRootfs(source, rootfs) && TryClone(source, opts.Recursive) is { } fd and >= 0)
                {
                    result[i] = fd;
                }
            }
            return result;
        }
        catch
        {
            foreach (var fd in result.Values)
            {
                Libc.close(fd);
            }
            throw;
        }
    }

    /// <summary>The idmapped detached tree of spec mount index (the caller closes it).</summary>
    public static int OpenIdmapped(Spec.Model.Spec spec, int index, IdmapUserns idmaps)
    {
        var m = spec.Mounts![index];
        var opts = MountOptions.Parse(m.Options);
        int fd = Clone(m.Source!, opts.Recursive);
        try
        {
            var userNs = spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == NamespaceTypes.User);
            SetIdmap(fd, m.Source!, opts.Idmap == IdmapKind.Recursive, UsernsFor(m, spec, userNs, idmaps, out var owned));
            if (owned >= 0)
            {
                Libc.close(owned);
            }
            return fd;
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    public static bool IsIdmapped(Mount m, ParsedMountOptions opts) =>
        opts.Idmap != IdmapKind.None || m.UidMappings != null || m.GidMappings != null;

    /// <summary>
    /// The mount's own mappings; without them the container's (its new user namespace's maps,
    /// or the joined one itself, whose fd is returned in owned for the caller to close).
    /// </summary>
    private static int UsernsFor(Mount m, Spec.Model.Spec spec, Namespace? userNs, IdmapUserns idmaps, out int owned)
    {
        owned = -1;
        if (m.UidMappings != null || m.GidMappings != null)
        {
            return idmaps.For(m.UidMappings ?? [], m.GidMappings ?? []);
        }
        if (userNs?.Path is { Length: > 0 } path)
        {
            return owned = Sys.Open(path, O_RDONLY);
        }
        return idmaps.For(spec.Linux?.UidMappings ?? [], spec.Linux?.GidMappings ?? []);
    }

    private static unsafe int Clone(string source, bool recursive)
    {
        int fd = TryClone(source, recursive);
        return fd >= 0 ? fd : throw LinuxException.Last($"open_tree(OPEN_TREE_CLONE) {source}");
    }

    /// <summary>A detached copy of the mount at source (with its submounts if recursive), or -1 with errno set.</summary>
    internal static unsafe int TryClone(string source, bool recursive)
    {
        fixed (byte* p = Sys.CString(source))
        {
            return (int)Libc.syscall(SYS_open_tree, AT_FDCWD, (long)p,
                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0), 0, 0);
        }
    }

    private static void SetIdmap(int fd, string source, bool recursive, int usernsFd)
    {
        try
        {
            Sys.MountSetattr(fd, MOUNT_ATTR_IDMAP, 0, recursive, source, usernsFd);
        }
        catch (LinuxException e)
        {
            var hint = e.Errno == EINVAL ? " (maybe the filesystem used doesn't support idmap mounts on this kernel?)" : "";
            throw new ContainerException($"failed to set MOUNT_ATTR_IDMAP on {source}: {LinuxException.ErrnoText(e.Errno)}{hint}");
        }
    }

    private static bool InRootfs(string source, string rootfs)
    {
        var full = Path.GetFullPath(source);
        return full == rootfs || full.StartsWith(rootfs.TrimEnd('/') + "/", StringComparison.Ordinal);
    }
}
