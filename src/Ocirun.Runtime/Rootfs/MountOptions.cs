using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>A mount's options from config.json, split into what each mount(2) call needs.</summary>
public sealed record ParsedMountOptions(
    ulong Flags,
    ulong ClearedFlags,
    ulong Propagation,
    string Data,
    bool Bind,
    bool Recursive,
    RecursiveAttrs RecursiveAttrs,
    bool TmpCopyUp,
    IdmapKind Idmap = IdmapKind.None)
{
    /// <summary>Flags that need a second, remounting call after a bind mount.</summary>
    public ulong BindRemountFlags => Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
}

/// <summary>
/// What the "r" options (rro, rnosuid, ratime…) ask of mount_setattr(AT_RECURSIVE): MOUNT_ATTR_*
/// bits to set and to clear on the mount and every mount below it.
/// </summary>
public readonly record struct RecursiveAttrs(ulong Set, ulong Clear)
{
    public bool IsEmpty => Set == 0 && Clear == 0;
}

/// <summary>The idmap mount extension: on the bind's top mount only, or on every mount of an rbind.</summary>
public enum IdmapKind
{
    None,
    TopOnly,
    Recursive,
}

public static class MountOptions
{
    // The recursive options: the MOUNT_ATTR_* bit each sets or clears. An access-time mode
    // (MOUNT_ATTR_RELATIME is 0) is only set together with clearing the whole _ATIME field.
    private static readonly Dictionary<string, (bool Clear, ulong Attr)> RecursiveOptions = new()
    {
        ["rro"] = (false, MOUNT_ATTR_RDONLY), ["rrw"] = (true, MOUNT_ATTR_RDONLY),
        ["rnosuid"] = (false, MOUNT_ATTR_NOSUID), ["rsuid"] = (true, MOUNT_ATTR_NOSUID),
        ["rnodev"] = (false, MOUNT_ATTR_NODEV), ["rdev"] = (true, MOUNT_ATTR_NODEV),
        ["rnoexec"] = (false, MOUNT_ATTR_NOEXEC), ["rexec"] = (true, MOUNT_ATTR_NOEXEC),
        ["rnodiratime"] = (false, MOUNT_ATTR_NODIRATIME), ["rdiratime"] = (true, MOUNT_ATTR_NODIRATIME),
        ["rrelatime"] = (false, MOUNT_ATTR_RELATIME), ["rnorelatime"] = (true, MOUNT_ATTR_RELATIME),
        ["rnoatime"] = (false, MOUNT_ATTR_NOATIME), ["ratime"] = (true, MOUNT_ATTR_NOATIME),
        ["rstrictatime"] = (false, MOUNT_ATTR_STRICTATIME), ["rnostrictatime"] = (true, MOUNT_ATTR_STRICTATIME),
        ["rnosymfollow"] = (false, MOUNT_ATTR_NOSYMFOLLOW), ["rsymfollow"] = (true, MOUNT_ATTR_NOSYMFOLLOW),
    };

    // Options that set a flag, and options that clear one (e.g. "rw" clears MS_RDONLY).
    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagOptions = new()
    {
        // fstab's "defaults" sets nothing (runc too); handed to the filesystem, tmpfs refused it.
        ["defaults"] = (false, 0),
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY),
        ["nosuid"] = (false, MS_NOSUID), ["suid"] = (true, MS_NOSUID),
        ["nodev"] = (false, MS_NODEV), ["dev"] = (true, MS_NODEV),
        ["noexec"] = (false, MS_NOEXEC), ["exec"] = (true, MS_NOEXEC),
        ["sync"] = (false, MS_SYNCHRONOUS), ["async"] = (true, MS_SYNCHRONOUS),
        ["dirsync"] = (false, MS_DIRSYNC),
        ["remount"] = (false, MS_REMOUNT),
        ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["noatime"] = (false, MS_NOATIME), ["atime"] = (true, MS_NOATIME),
        ["nodiratime"] = (false, MS_NODIRATIME), ["diratime"] = (true, MS_NODIRATIME),
        ["relatime"] = (false, MS_RELATIME), ["norelatime"] = (true, MS_RELATIME),
        ["strictatime"] = (false, MS_STRICTATIME), ["nostrictatime"] = (true, MS_STRICTATIME),
        ["silent"] = (false, MS_SILENT), ["loud"] = (true, MS_SILENT),
        ["iversion"] = (false, MS_I_VERSION), ["noiversion"] = (true, MS_I_VERSION),
        ["lazytime"] = (false, MS_LAZYTIME), ["nolazytime"] = (true, MS_LAZYTIME),
        ["nosymfollow"] = (false, MS_NOSYMFOLLOW), ["symfollow"] = (true, MS_NOSYMFOLLOW),
    };

    private static readonly Dictionary<string, ulong> PropagationOptions = new()
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC,
        ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC,
        ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    /// <summary>Every option this runtime understands, for the features document.</summary>
    public static IEnumerable<string> Known =>
        FlagOptions.Keys.Concat(PropagationOptions.Keys).Concat(RecursiveOptions.Keys)
            .Concat(["bind", "rbind", "tmpcopyup"]).Order();

    public static ParsedMountOptions Parse(IEnumerable<string>? options)
    {
        ulong flags = 0, cleared = 0, propagation = 0;
        bool bind = false, rec = false, copyUp = false;
        var idmap = IdmapKind.None;
        ulong attrSet = 0, attrClear = 0;
        var data = new List<string>();
        foreach (var o in options ?? [])
        {
            if (FlagOptions.TryGetValue(o, out var f))
            {
                if (f.Clear)
                {
                    flags &= ~f.Flag;
                    cleared |= f.Flag;
                }
                else
                {
                    flags |= f.Flag;
                    cleared &= ~f.Flag;
                }
            }
            else if (PropagationOptions.TryGetValue(o, out var p))
            {
                propagation = p;
            }
            else if (o == "bind" || o == "rbind")
            {
                bind = true;
                rec |= o == "rbind";
            }
            else if (RecursiveOptions.TryGetValue(o, out var r))
            {
                if (r.Clear)
                {
                    attrClear |= r.Attr;
                    attrSet &= ~r.Attr;
                }
                else
                {
                    attrSet |= r.Attr;
                    attrClear &= ~r.Attr;
                    if ((r.Attr & MOUNT_ATTR__ATIME) == r.Attr)
                    {
                        attrSet = (attrSet & ~MOUNT_ATTR__ATIME) | r.Attr;
                        attrClear |= MOUNT_ATTR__ATIME;
                    }
                }
            }
            else if (o == "tmpcopyup")
            {
                copyUp = true;
            }
            else if (o is "idmap" or "ridmap")
            {
                // An extension, not a mount(2) option: features lists it apart, as runc does.
                idmap = o == "ridmap" ? IdmapKind.Recursive : IdmapKind.TopOnly;
            }
            else
            {
                data.Add(o);
            }
        }
        if (bind)
        {
            flags |= MS_BIND | (rec ? MS_REC : 0);
        }
        return new ParsedMountOptions(flags, cleared, propagation, string.Join(",", data), bind, rec,
            new RecursiveAttrs(attrSet, attrClear), copyUp, idmap);
    }

    /// <summary>Parses rootfsPropagation; runc's default is rslave.</summary>
    public static ulong RootPropagation(string? value) =>
        string.IsNullOrEmpty(value) ? MS_SLAVE | MS_REC : PropagationOptions[value];
}
