using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Resolves and creates paths inside a root directory with openat2(RESOLVE_IN_ROOT): a symlink
/// in the rootfs can never point a mount or a device node at the host.
/// </summary>
internal sealed class InRoot(int rootFd) : IDisposable
{
    private const ulong Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

    public static InRoot Open(string root) => new(Sys.Open(root, O_PATH | O_DIRECTORY));

    /// <summary>O_PATH fd of path, or -1 with errno set.</summary>
    public int TryOpen(string path) =>
        Sys.OpenAt2(rootFd, path.TrimStart('/') is { Length: > 0 } p ? p : ".", (ulong)O_PATH, 0, Resolve);

    public int OpenExisting(string path)
    {
        int fd = TryOpen(path);
        return fd >= 0 ? fd : throw LinuxException.Last($"open {path} in rootfs");
    }

    /// <summary>Creates the directories of path (and the path itself as a file or directory); returns its O_PATH fd.</summary>
    public int Create(string path, bool asFile, int dirMode = 0x1ed /* 0755 */)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int parent = TryOpen("/");
        if (parent < 0)
        {
            throw LinuxException.Last("open rootfs");
        }
        var prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            prefix += "/" + parts[i];
            int fd = TryOpen(prefix);
            if (fd < 0 && Marshal.GetLastPInvokeError() == ENOENT)
            {
                bool last = i == parts.Length - 1;
                if (last && asFile)
                {
                    int f = Libc.openat(parent, parts[i], O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0x1a4 /* 0644 */);
                    if (f >= 0)
                    {
                        Libc.close(f);
                    }
                }
                else
                {
                    Libc.mkdirat(parent, parts[i], dirMode);
                }
                fd = TryOpen(prefix);
            }
            if (fd < 0)
            {
                var e = LinuxException.Last($"create {path} in rootfs");
                Libc.close(parent);
                throw e;
            }
            Libc.close(parent);
            parent = fd;
        }
        return parent;
    }

    /// <summary>The magic-link path mount(2) can use for an O_PATH fd.</summary>
    public static string ProcPath(int fd) => $"/proc/self/fd/{fd}";

    public void Dispose() => Libc.close(rootFd);
}
