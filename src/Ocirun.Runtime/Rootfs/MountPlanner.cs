using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Turns a spec into the ordered list of rootfs operations. Pure: it decides, the
/// <see cref="RootfsBuilder"/> executes, so the order is checked by unit tests.
/// </summary>
public static class MountPlanner
{
    private static readonly (string Path, long Major, long Minor)[] DefaultDevices =
    {
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    };

    public static List<MountOp> Plan(Spec.Model.Spec spec, string rootfs, bool noPivot, bool userNamespace)
    {
        var ops = new List<MountOp>
        {
            new MountOp.SetPropagation("/", MountOptions.RootPropagation(spec.Linux?.RootfsPropagation)),
            new MountOp.BindRootfs(rootfs),
        };
        MountOp.RemountReadonly? devReadonly = null;
        int index = -1;
        foreach (var m in spec.Mounts ?? [])
        {
            index++;
            var opts = MountOptions.Parse(m.Options);
            var type = string.IsNullOrEmpty(m.Type) ? (opts.Bind ? "bind" : "none") : m.Type;
            var dest = Normalize(m.Destination);
            if (type == "tmpfs" && (opts.Flags & Interop.Consts.MS_RDONLY) != 0)
            {
                // A read-only tmpfs is filled first (mount points below it, /dev's nodes).
                ops.Add(new MountOp.Mount(m.Source ?? type, dest, type, opts with { Flags = opts.Flags & ~Interop.Consts.MS_RDONLY }));
                var later = new MountOp.RemountReadonly(dest, opts.Flags & ~(Interop.Consts.MS_REMOUNT | Interop.Consts.MS_BIND | Interop.Consts.MS_REC));
                if (dest == "/dev")
                {
                    devReadonly = later;
                }
                else
                {
                    ops.Add(later);
                }
                continue;
            }
            ops.Add(new MountOp.Mount(m.Source ?? type, dest, type, opts, index));
        }
        if (SetsUpDev(spec))
        {
            AddDevices(ops, spec, userNamespace);
        }
        if (devReadonly != null)
        {
            ops.Add(devReadonly);
        }
        ops.Add(new MountOp.EnterRoot(noPivot));
        if (!string.IsNullOrEmpty(spec.Linux?.RootfsPropagation))
        {
            // The new "/" is the rootfs bind mount; give it the asked propagation too.
            ops.Add(new MountOp.SetPropagation("/", MountOptions.RootPropagation(spec.Linux.RootfsPropagation)));
        }
        foreach (var p in spec.Linux?.MaskedPaths ?? [])
        {
            ops.Add(new MountOp.MaskPath(Normalize(p)));
        }
        foreach (var p in spec.Linux?.ReadonlyPaths ?? [])
        {
            ops.Add(new MountOp.ReadonlyPath(Normalize(p)));
        }
        if (spec.Root?.Readonly == true)
        {
            ops.Add(new MountOp.RemountRootReadonly());
        }
        return ops;
    }

    /// <summary>/dev is populated unless the spec binds a /dev from elsewhere.</summary>
    public static bool SetsUpDev(Spec.Model.Spec spec) =>
        !(spec.Mounts ?? []).Any(m => Normalize(m.Destination) == "/dev" && MountOptions.Parse(m.Options).Bind);

    private static void AddDevices(List<MountOp> ops, Spec.Model.Spec spec, bool userNamespace)
    {
        var specDevices = spec.Linux?.Devices ?? [];
        foreach (var (path, major, minor) in DefaultDevices)
        {
            if (!specDevices.Any(d => Normalize(d.Path) == path))
            {
                ops.Add(new MountOp.Device(path, 'c', major, minor, 0x1b6 /* 0666 */, 0, 0, userNamespace));
            }
        }
        foreach (var d in specDevices)
        {
            ops.Add(new MountOp.Device(Normalize(d.Path), d.Type[0], d.Major, d.Minor, d.FileMode ?? 0x1b6,
                d.Uid ?? 0, d.Gid ?? 0, userNamespace));
        }
        ops.Add(new MountOp.Ptmx());
        foreach (var (target, link) in new[]
        {
            ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"), ("/proc/self/fd/1", "/dev/stdout"),
            ("/proc/self/fd/2", "/dev/stderr"),
        })
        {
            ops.Add(new MountOp.Symlink(target, link));
        }
    }

    /// <summary>Makes a destination absolute and clean ("a//b/../c" → "/a/c"), never above "/".</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".")
            {
                continue;
            }
            if (p == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(p);
        }
        return "/" + string.Join("/", parts);
    }
}
