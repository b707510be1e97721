using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Whether a container's tmpfs holds exactly what a copy made by <see cref="TmpfsReplicas"/>
/// holds: the same names, types, permission bits, owners, device numbers and link targets,
/// and no file with contents. Both are read without what is mounted in them (the container's
/// through a clone of its one mount). Times are not compared (tar would keep them).
/// </summary>
public static unsafe class TreeComparer
{
    public static bool Same(string live, string copy)
    {
        StatBuf l, c;
        // "/.": the roots may be named by a link (/proc/self/fd/N), which is to be followed.
        if (!Stat(live + "/.", &l) || !Stat(copy + "/.", &c))
        {
            return false;
        }
        return SameNode(l, c) && SameChildren(live, copy);
    }

    private static bool SameChildren(string live, string copy)
    {
        var names = Names(live);
        var copyNames = Names(copy);
        if (names == null || copyNames == null || !names.SetEquals(copyNames))
        {
            return false;
        }
        foreach (var name in names)
        {
            var l1 = Path.Combine(live, name);
            var c1 = Path.Combine(copy, name);
            StatBuf l, c;
            if (!Stat(l1, &l) || !Stat(c1, &c))
            {
                return false;
            }
            if (!SameNode(l, c) || (IsDir(l) && !SameChildren(l1, c1))
                || ((l.Mode & S_IFMT) == S_IFLNK && new FileInfo(l1).LinkTarget != new FileInfo(c1).LinkTarget))
            {
                return false;
            }
        }
        return true;
    }

    private static bool SameNode(StatBuf l, StatBuf c) =>
        (l.Mode & (S_IFMT | 0xfff)) == (c.Mode & (S_IFMT | 0xfff)) && l.Uid == c.Uid && l.Gid == c.Gid
        && ((l.Mode & S_IFMT) is not (S_IFCHR or S_IFBLK) || l.Rdev == c.Rdev)
        && ((l.Mode & S_IFMT) != S_IFREG || (l.Size == 0 && c.Size == 0));

    private static bool IsDir(StatBuf st) => (st.Mode & S_IFMT) == S_IFDIR;

    private static bool Stat(string path, StatBuf* st) => Libc.fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW) == 0;

    private static HashSet<string>? Names(string dir)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
