using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Resolves and creates paths inside a root directory with openat2(RESOLVE_IN_ROOT): a symlink
/// in the rootfs can never point a mount or a device node at the host.
/// </summary>
internal sealed class InRoot(int root) : IDisposable
{
    private readonly Fd _root = new(root);

    private const ulong Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

    public static InRoot Open(string root) => new(Sys.Open(root, O_PATH | O_DIRECTORY));

    /// <summary>An fd of path (O_PATH unless flags say otherwise), or -1 with errno set.</summary>
    public int TryOpen(string path, int flags = O_PATH) =>
        Sys.OpenAt2(_root.Value, path.TrimStart('/') is { Length: > 0 } p ? p : ".", (ulong)flags, 0, Resolve);

    /// <summary>
    /// Where path really is inside the root, its symlinks followed there ("/conf" → "/real/conf");
    /// path itself when it does not exist.
    /// </summary>
    public static string RealPath(string root, string path)
    {
        using var r = Open(root);
        int fd = r.TryOpen(path);
        if (fd < 0)
        {
            return path;
        }
        using var found = new Fd(fd);
        return r.Inside(fd) ?? path;
    }

    /// <summary>Where fd's file is inside the root ("/" for the root itself); null if it is not there.</summary>
    public string? Inside(int fd)
    {
        var root = PathOf(_root.Value);
        var real = PathOf(fd);
        if (root == null || real == null)
        {
            return null;
        }
        var prefix = root == "/" ? "" : root;
        return real == root ? "/" : real.StartsWith(prefix + "/", StringComparison.Ordinal) ? real[prefix.Length..] : null;
    }

    public int OpenExisting(string path)
    {
        int fd = TryOpen(path);
        return fd >= 0 ? fd : throw LinuxException.Last($"open {path} in rootfs");
    }

    /// <summary>
    /// Creates the directories of path (and the path itself as a file or directory); returns
    /// its O_PATH fd. A dangling symlink on the way is followed inside the root, as a kernel
    /// lookup with the rootfs as "/" would, and its target created there.
    /// </summary>
    public int Create(string path, bool asFile, int dirMode = 0x1ed /* 0755 */)
    {
        var pending = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var done = new List<string>();
        int links = 0;
        int parent = OpenExisting("/");
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            var prefix = "/" + string.Join("/", done.Append(name));
            int fd = TryOpen(prefix);
            if (fd < 0 && Marshal.GetLastPInvokeError() == ENOENT)
            {
                var target = ReadLink(parent, name);
                if (target != null)
                {
                    if (++links > 40)
                    {
                        Libc.close(parent);
                        throw new LinuxException($"create {path} in rootfs", ELOOP);
                    }
                    // Restart from the link's target, then the rest of the path.
                    var rest = pending.ToList();
                    pending = new Queue<string>(target.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                    if (target.StartsWith('/'))
                    {
                        done.Clear();
                        Libc.close(parent);
                        parent = OpenExisting("/");
                    }
                    continue;
                }
                if (pending.Count == 0 && asFile)
                {
                    int f = Libc.openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0x1a4 /* 0644 */);
                    if (f >= 0)
                    {
                        Libc.close(f);
                    }
                }
                else
                {
                    Libc.mkdirat(parent, name, dirMode);
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
            done.Add(name);
            if (name == "..")
            {
                // Resolved in the root, ".." never climbs above it; keep the textual prefix honest.
                done.RemoveAt(done.Count - 1);
                if (done.Count > 0)
                {
                    done.RemoveAt(done.Count - 1);
                }
            }
        }
        return parent;
    }

    /// <summary>The target of a symlink name in dirFd, or null when it is not a symlink.</summary>
    private static unsafe string? ReadLink(int dirFd, string name)
    {
        byte* buf = stackalloc byte[4096];
        nint n = Libc.readlinkat(dirFd, name, buf, 4096);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buf, (int)n);
    }

    /// <summary>Where an fd's file is, as the kernel names it (in this mount namespace); null if it cannot say.</summary>
    public static string? PathOf(int fd) => ReadLink(AT_FDCWD, ProcPath(fd));

    /// <summary>The magic-link path mount(2) can use for an O_PATH fd.</summary>
    public static string ProcPath(int fd) => $"/proc/self/fd/{fd}";

    public void Dispose() => _root.Dispose();
}
