using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>Where CRIU restores the container's mounts: a private bind of the rootfs of its own.</summary>
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

    public static void Remove(string criuRoot)
    {
        if (Directory.Exists(criuRoot))
        {
            Libc.umount2(criuRoot, MNT_DETACH);
            Directory.Delete(criuRoot);
        }
    }
}
