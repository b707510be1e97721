using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// What a restore mounts on the host for CRIU: its root, a private bind of the rootfs of its
/// own where it restores the container's mounts, and the empty mask it binds at masked directories.
/// </summary>
public static class CriuRoot
{
    /// <summary>
    /// CRIU's root: the rootfs bound at a mount point of its own, with every mount point of the
    /// spec present (CRIU mounts into them but does not create them).
    /// </summary>
    public static void Prepare(Spec.Model.Spec spec, string rootfs, string criuRoot)
    {
        using (var root = Rootfs.InRoot.Open(rootfs))
        {
            foreach (var m in spec.Mounts ?? [])
            {
                var dest = Rootfs.MountPlanner.Normalize(m.Destination);
                if (m.Type == "cgroup" || UnderTmpfs(spec, dest))
                {
                    continue;
                }
                bool isFile = Rootfs.MountOptions.Parse(m.Options).Bind && File.Exists(m.Source) && !Directory.Exists(m.Source);
                Libc.close(root.Create(dest, isFile));
            }
        }
        Directory.CreateDirectory(criuRoot);
        Sys.Mount(rootfs, criuRoot, "bind", MS_BIND | MS_REC, null);
        Sys.Mount(null, criuRoot, null, MS_PRIVATE | MS_REC, null);
    }

    private static bool UnderTmpfs(Spec.Model.Spec spec, string dest) =>
        (spec.Mounts ?? []).Any(t => t.Type == "tmpfs" && Rootfs.MountPlanner.Normalize(t.Destination) is var td
            && td != dest && dest.StartsWith(td.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>
    /// A fresh empty mask (see <see cref="CriuMounts.EmptyMaskName"/>) at path, when the spec
    /// masks anything; returns path, or null when there is nothing to mask.
    /// </summary>
    public static string? PrepareEmptyMask(Spec.Model.Spec spec, string path)
    {
        if (spec.Linux?.MaskedPaths is not { Count: > 0 })
        {
            return null;
        }
        Directory.CreateDirectory(path);
        Rootfs.PathMasker.MountEmptyTmpfs(path);
        return path;
    }

    /// <summary>Unmounts and removes what <see cref="Prepare"/> or <see cref="PrepareEmptyMask"/> made (a killed restore leaves them).</summary>
    public static void Remove(string mountPoint)
    {
        if (Directory.Exists(mountPoint))
        {
            Libc.umount2(mountPoint, MNT_DETACH);
            Directory.Delete(mountPoint);
        }
    }
}
