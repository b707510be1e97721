using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// tmpcopyup: what the image has in a directory that a tmpfs now covers is copied into the
/// tmpfs (files, directories, links and device nodes, with their modes and owners), so the
/// directory starts out as the image made it.
/// </summary>
internal static unsafe class TmpfsCopyUp
{
    /// <summary>Copies the tree under from (the covered directory) into to (the tmpfs).</summary>
    public static void Copy(string from, string to)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(from))
        {
            var name = Path.GetFileName(entry);
            var dest = Path.Combine(to, name);
            StatBuf st;
            LinuxException.Check(Libc.fstatat(AT_FDCWD, entry, &st, AT_SYMLINK_NOFOLLOW), $"tmpcopyup: stat {name}");
            int type = (int)st.Mode & S_IFMT;
            switch (type)
            {
                case S_IFDIR:
                    LinuxException.Check(Libc.mkdirat(AT_FDCWD, dest, 0x1c0), $"tmpcopyup: mkdir {name}");
                    Copy(entry, dest);
                    break;
                case S_IFLNK:
                    LinuxException.Check(Libc.symlinkat(ReadLink(entry), AT_FDCWD, dest), $"tmpcopyup: symlink {name}");
                    break;
                case S_IFREG:
                    File.Copy(entry, dest);
                    break;
                default:
                    LinuxException.Check(Libc.mknodat(AT_FDCWD, dest, (int)st.Mode, st.Rdev), $"tmpcopyup: mknod {name}");
                    break;
            }
            LinuxException.Check(Libc.fchownat(AT_FDCWD, dest, st.Uid, st.Gid, AT_SYMLINK_NOFOLLOW), $"tmpcopyup: chown {name}");
            if (type != S_IFLNK)
            {
                File.SetUnixFileMode(dest, (UnixFileMode)(st.Mode & 0xfff));
            }
        }
    }

    private static string ReadLink(string path)
    {
        byte* buf = stackalloc byte[4096];
        nint n = Libc.readlinkat(AT_FDCWD, path, buf, 4096);
        return n < 0 ? throw LinuxException.Last($"tmpcopyup: readlink {path}") : System.Text.Encoding.UTF8.GetString(buf, (int)n);
    }
}
