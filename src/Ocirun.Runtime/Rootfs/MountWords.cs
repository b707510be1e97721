using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// runc's words for a spec mount that failed (pure): `error mounting "SRC" to rootfs at "DST":
/// mount src=SRC, dst=DST, dstFd=FD, flags=MS_BIND|MS_REC, data=…: ERRNO`. The destination is
/// named as the spec names it, the flags by name, so a user can tell which mount and what of it.
/// </summary>
public static class MountWords
{
    private static readonly (string Name, ulong Bits)[] FlagNames =
    [
        ("MS_RDONLY", MS_RDONLY), ("MS_NOSUID", MS_NOSUID), ("MS_NODEV", MS_NODEV), ("MS_NOEXEC", MS_NOEXEC),
        ("MS_SYNCHRONOUS", MS_SYNCHRONOUS), ("MS_REMOUNT", MS_REMOUNT), ("MS_MANDLOCK", MS_MANDLOCK),
        ("MS_DIRSYNC", MS_DIRSYNC), ("MS_NOSYMFOLLOW", MS_NOSYMFOLLOW), ("MS_NOATIME", MS_NOATIME),
        ("MS_NODIRATIME", MS_NODIRATIME), ("MS_BIND", MS_BIND), ("MS_MOVE", MS_MOVE), ("MS_REC", MS_REC),
        ("MS_SILENT", MS_SILENT), ("MS_POSIXACL", 1 << 16), ("MS_UNBINDABLE", MS_UNBINDABLE), ("MS_PRIVATE", MS_PRIVATE),
        ("MS_SLAVE", MS_SLAVE), ("MS_SHARED", MS_SHARED), ("MS_RELATIME", MS_RELATIME), ("MS_I_VERSION", MS_I_VERSION),
        ("MS_STRICTATIME", MS_STRICTATIME), ("MS_LAZYTIME", MS_LAZYTIME),
    ];

    /// <summary>"MS_NOSUID|MS_NODEV", with bits that have no name as one 0x… at the end.</summary>
    public static string Flags(ulong flags)
    {
        var names = FlagNames.Where(f => (flags & f.Bits) == f.Bits).Select(f => f.Name).ToList();
        var rest = flags & ~FlagNames.Aggregate(0UL, (seen, f) => (flags & f.Bits) == f.Bits ? seen | f.Bits : seen);
        if (rest != 0)
        {
            names.Add("0x" + rest.ToString("x"));
        }
        return string.Join("|", names);
    }

    /// <summary>
    /// The failed call (mount, or move_mount of a source tree taken earlier, srcFd): source,
    /// the spec's destination, the fd it was reached by, flags and data.
    /// </summary>
    public static string Call(string op, string? source, int srcFd, string destination, string dstFd, ulong flags, string? data, string errno)
    {
        var words = op + " ";
        if (!string.IsNullOrEmpty(source))
        {
            words += $"src={source}, ";
            if (srcFd >= 0)
            {
                words += $"srcType=open_tree, srcFd={srcFd}, ";
            }
        }
        words += $"dst={destination}, dstFd={dstFd}";
        if (flags != 0)
        {
            words += $", flags={Flags(flags)}";
        }
        if (!string.IsNullOrEmpty(data))
        {
            words += $", data={data}";
        }
        return $"{words}: {errno}";
    }

    /// <summary>What goes before the reason a spec mount failed.</summary>
    public static string Failure(string source, string destination, string why) =>
        $"error mounting \"{source}\" to rootfs at \"{destination}\": {why}";
}
