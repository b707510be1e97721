using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// CRIU probes the kernel each time it starts (about 50 ms here: network namespaces, a veth
/// pair, iptables runs) unless it finds an earlier probe's result in /run/criu.kdat, and it
/// writes that cache only on a tmpfs, so that a reboot drops it. On a host whose /run is no
/// tmpfs every checkpoint and restore pays the probe. There ocirun keeps the cache itself: one
/// file per boot and CRIU, written by CRIU in a mount namespace of its own with a tmpfs on /run,
/// and handed to ocirun's CRIU alone. /run/criu.kdat becomes a symlink to /proc/self/fd/100,
/// which is the cache in a CRIU ocirun starts and nothing in any other (those probe, as before,
/// and never read a cache that outlived a reboot). CRIU checks the cache's magic itself; when
/// it refuses the file it removes /run/criu.kdat, and ocirun then drops the file and makes it again.
/// </summary>
public sealed class CriuKdatCache
{
    public const int FdInCriu = 100;
    public const string CriuPath = "/run/criu.kdat", Dir = "/run/ocirun-criu-kdat";
    public static readonly string LinkTarget = $"/proc/self/fd/{FdInCriu}";

    public enum Use
    {
        /// <summary>CRIU keeps its own cache (a tmpfs /run), or /run/criu.kdat is someone else's.</summary>
        None,
        /// <summary>/run/criu.kdat is missing: make the symlink, then use the cache.</summary>
        MakeLink,
        /// <summary>The symlink is in place.</summary>
        Link,
    }

    private readonly string _file;
    private Thread? _writer;

    private CriuKdatCache(string file, int fd)
    {
        _file = file;
        Fd = fd;
    }

    /// <summary>The cache, open, for CRIU's fd <see cref="FdInCriu"/>; -1 while it is being made.</summary>
    public int Fd { get; private set; }

    /// <summary>What to do about /run/criu.kdat, from who runs ocirun, /run's file system and what the path holds.</summary>
    public static Use Decide(bool root, long? runFsType, bool linkMissing, string? linkTarget)
    {
        if (!root || runFsType is null or TMPFS_MAGIC)
        {
            return Use.None;
        }
        return linkMissing ? Use.MakeLink : linkTarget == LinkTarget ? Use.Link : Use.None;
    }

    /// <summary>
    /// The cache's name: this boot's id, then a digest of the CRIU it is for (FNV-1a: loading
    /// OpenSSL for a SHA-256 would cost more than the rest of the checkpoint's start).
    /// </summary>
    public static string FileName(string bootId, string criuPath)
    {
        ulong h = 0xcbf29ce484222325;
        foreach (var b in Encoding.UTF8.GetBytes(criuPath))
        {
            h = (h ^ b) * 0x100000001b3;
        }
        return $"{bootId.Trim()}-{h:x16}";
    }

    /// <summary>
    /// The cache for a CRIU about to start, or null where ocirun does not keep one. When the
    /// file is missing it is made on a thread of its own while this CRIU probes as before.
    /// </summary>
    public static CriuKdatCache? For(string criuPath, Func<IReadOnlyList<string>> criuEnvironment)
    {
        try
        {
            var (missing, target) = ReadLink(CriuPath);
            var use = Decide(Libc.geteuid() == 0, Sys.FsType("/run"), missing, target);
            if (use == Use.None)
            {
                return null;
            }
            Directory.CreateDirectory(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var bootId = Sys.BootId();
            var file = Path.Combine(Dir, FileName(bootId, criuPath));
            if (use == Use.MakeLink && Libc.symlinkat(LinkTarget, AT_FDCWD, CriuPath) < 0 && Marshal.GetLastPInvokeError() != EEXIST)
            {
                return null;
            }
            int fd = Libc.openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC, 0);
            var cache = new CriuKdatCache(file, fd);
            if (fd < 0)
            {
                // Caches of earlier boots are of no use any more.
                foreach (var old in Directory.EnumerateFiles(Dir).Where(f => !Path.GetFileName(f).StartsWith(bootId, StringComparison.Ordinal)))
                {
                    File.Delete(old);
                }
                cache._writer = new Thread(() => Write(criuPath, criuEnvironment(), file)) { IsBackground = true };
                cache._writer.Start();
            }
            return cache;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LinuxException)
        {
            DebugLog.Write($"criu: no kernel probe cache ({e.Message})");
            return null;
        }
    }

    /// <summary>
    /// After CRIU exited: waits for a cache being made, and drops a cache CRIU refused (it
    /// removed /run/criu.kdat on reading it).
    /// </summary>
    public void Finish()
    {
        _writer?.Join();
        if (Fd >= 0)
        {
            Sys.Close(Fd);
            Fd = -1;
            if (ReadLink(CriuPath).Missing)
            {
                DebugLog.Write($"criu: refused its kernel probe cache {_file}; it is made again next time");
                File.Delete(_file);
            }
        }
    }

    /// <summary>Whether path is missing, and its target when it is a symlink.</summary>
    private static unsafe (bool Missing, string? Target) ReadLink(string path)
    {
        byte* buf = stackalloc byte[256];
        nint n = Libc.readlinkat(AT_FDCWD, path, buf, 256);
        return n >= 0 ? (false, Encoding.UTF8.GetString(buf, (int)n)) : (Marshal.GetLastPInvokeError() == ENOENT, null);
    }

    /// <summary>
    /// CRIU probes with a tmpfs on /run, in a mount namespace only this thread (and the CRIU it
    /// starts) is in, and saves its cache there; the file is copied out to the host's directory,
    /// opened before the namespace hid it. The namespace ends with the thread.
    /// </summary>
    private static void Write(string criuPath, IReadOnlyList<string> env, string file)
    {
        try
        {
            using var dir = new Fd(Sys.Open(Dir, O_DIRECTORY | O_RDONLY));
            LinuxException.Check(Libc.syscall(SYS_unshare, NamespaceThread.CloneNewNs | NamespaceThread.CloneFs, 0, 0, 0, 0), "unshare(CLONE_NEWNS)");
            Sys.Mount(null, "/", null, MS_REC | MS_PRIVATE, null);
            Sys.Mount("ocirun-kdat", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=1m");
            using var devNull = new Fd(Sys.Open("/dev/null", O_RDWR));
            int pid = Spawner.Spawn(criuPath, [criuPath, "check", "--feature", "openat2"], env,
                [(devNull.Value, 0), (devNull.Value, 1), (devNull.Value, 2)]);
            Sys.WaitPid(pid);
            var probe = File.ReadAllBytes(CriuPath);
            // Two workers of one command may both make it: each writes a file of its own.
            var temp = $"{Path.GetFileName(file)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}";
            try
            {
                using (var fd = new Fd(Sys.OpenAt(dir.Value, temp, O_WRONLY | O_CREAT | O_TRUNC, 0x180)))
                {
                    Sys.WriteAll(fd.Value, probe, "kdat cache");
                }
                LinuxException.Check(Libc.renameat(dir.Value, temp, dir.Value, Path.GetFileName(file)), "rename kdat cache");
            }
            catch
            {
                Libc.unlinkat(dir.Value, temp, 0);
                throw;
            }
        }
        catch (Exception e)
        {
            // Whatever went wrong, the cache is only a shortcut: the checkpoint goes on without it.
            DebugLog.Write($"criu: could not make the kernel probe cache ({e.Message})");
        }
    }
}
