namespace Ocirun.Runtime.Rootfs;

/// <summary>One step of building the container's root filesystem, in the order it must run.</summary>
public abstract record MountOp
{
    /// <summary>Changes the propagation of the whole tree at Target (e.g. rslave on "/").</summary>
    public sealed record SetPropagation(string Target, ulong Flags) : MountOp;

    /// <summary>Bind-mounts the rootfs onto itself so that it is a mount point pivot_root accepts.</summary>
    public sealed record BindRootfs(string Rootfs) : MountOp;

    /// <summary>
    /// A mount from config.json; Destination is inside the rootfs. SpecIndex is its place in
    /// spec.mounts, by which a source the parent took on the host is found.
    /// </summary>
    public sealed record Mount(string Source, string Destination, string Type, ParsedMountOptions Options, int SpecIndex = -1) : MountOp;

    /// <summary>A device node (or a bind of the host's node inside a user namespace).</summary>
    public sealed record Device(string Path, char Type, long Major, long Minor, uint Mode, uint Uid, uint Gid, bool BindFromHost) : MountOp;

    public sealed record Symlink(string Target, string LinkPath) : MountOp;

    /// <summary>Replaces /dev/ptmx with a link to the devpts instance of the container.</summary>
    public sealed record Ptmx : MountOp;

    /// <summary>Enters the rootfs: pivot_root, or MS_MOVE plus chroot with --no-pivot.</summary>
    public sealed record EnterRoot(bool NoPivot) : MountOp;

    /// <summary>Hides a path: /dev/null over a file, an empty read-only tmpfs over a directory.</summary>
    public sealed record MaskPath(string Path) : MountOp;

    public sealed record ReadonlyPath(string Path) : MountOp;

    public sealed record RemountRootReadonly : MountOp;

    /// <summary>
    /// Makes a tmpfs read-only once what goes into it is there (/dev's nodes, links and the
    /// devpts mount point): it is mounted writable first, as runc does.
    /// </summary>
    public sealed record RemountReadonly(string Destination, ulong Flags) : MountOp;
}
