using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>Thin checked wrappers over the system calls the runtime uses.</summary>
internal static unsafe class Sys
{
    /// <summary>A NUL-terminated UTF-8 copy of s, for char* arguments.</summary>
    public static byte[] CString(string s) => Encoding.UTF8.GetBytes(s + "\0");

    public static int Open(string path, int flags, int mode = 0) => OpenAt(AT_FDCWD, path, flags, mode);

    /// <summary>openat(2), close-on-exec, tried again when a signal interrupts it (a FIFO's open blocks).</summary>
    public static int OpenAt(int dirfd, string path, int flags, int mode = 0)
    {
        while (true)
        {
            int fd = Libc.openat(dirfd, path, flags | O_CLOEXEC, mode);
            if (fd >= 0)
            {
                return fd;
            }
            int e = Marshal.GetLastPInvokeError();
            if (e != EINTR)
            {
                throw new LinuxException($"open {path}", e);
            }
        }
    }

    /// <summary>statfs(2)'s f_type of the filesystem path is on; null if it cannot be asked.</summary>
    public static long? FsType(string path)
    {
        StatFs st;
        return Libc.statfs(path, &st) == 0 ? st.Type : null;
    }

    /// <summary>fsopen(2) of a filesystem type, close-on-exec: its context fd, or -1 with errno set.</summary>
    public static int FsOpen(string type)
    {
        fixed (byte* t = CString(type))
        {
            return (int)Libc.syscall(SYS_fsopen, (long)t, FSOPEN_CLOEXEC, 0, 0, 0);
        }
    }

    /// <summary>fstatfs(2)'s f_type of the filesystem fd is on; null if it cannot be asked.</summary>
    public static long? FsTypeOf(int fd)
    {
        StatFs st;
        return Libc.fstatfs(fd, &st) == 0 ? st.Type : null;
    }

    /// <summary>This boot's id: differs after every reboot.</summary>
    public static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    public static void Mount(string? source, string target, string? fstype, ulong flags, string? data)
    {
        if (Libc.mount(source, target, fstype, flags, string.IsNullOrEmpty(data) ? null : data) < 0)
        {
            throw LinuxException.Last($"mount {source ?? "none"} to {target} (type {fstype ?? "none"}, flags 0x{flags:x})");
        }
    }

    public static void PivotRoot(string newRoot, string putOld)
    {
        fixed (byte* a = CString(newRoot))
        fixed (byte* b = CString(putOld))
        {
            LinuxException.Check(Libc.syscall(SYS_pivot_root, (long)a, (long)b, 0, 0, 0), "pivot_root");
        }
    }

    /// <summary>
    /// mount_setattr(2) on the mount an fd names (AT_EMPTY_PATH), on every mount below it too
    /// when recursive: the only way to change flags of a whole tree at once.
    /// </summary>
    public static void MountSetattr(int fd, ulong set, ulong clear, bool recursive, string what, long userNsFd = 0)
    {
        var attr = stackalloc ulong[4];
        attr[0] = set;
        attr[1] = clear;
        attr[2] = 0; // propagation: unchanged
        attr[3] = (ulong)userNsFd;
        fixed (byte* empty = CString(""))
        {
            LinuxException.Check(Libc.syscall(SYS_mount_setattr, fd, (long)empty,
                AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), (long)attr, 32), $"mount_setattr {what}");
        }
    }

    /// <summary>openat2(2); returns -1 with errno ENOSYS where the kernel lacks it.</summary>
    public static int OpenAt2(int dirfd, string path, ulong flags, ulong mode, ulong resolve)
    {
        var how = stackalloc ulong[3];
        how[0] = flags | O_CLOEXEC;
        how[1] = mode;
        how[2] = resolve;
        fixed (byte* p = CString(path))
        {
            while (true)
            {
                long fd = Libc.syscall(SYS_openat2, dirfd, (long)p, (long)how, 24, 0);
                if (fd >= 0 || Marshal.GetLastPInvokeError() != EINTR)
                {
                    return (int)fd;
                }
            }
        }
    }

    public static void WriteFile(string path, string content)
    {
        int fd = Open(path, O_WRONLY | O_TRUNC);
        try
        {
            WriteAll(fd, Encoding.UTF8.GetBytes(content), path);
        }
        finally
        {
            Close(fd);
        }
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data, string what)
    {
        fixed (byte* p = data)
        {
            if (Transfer(fd, p, data.Length, write: true, what) < data.Length)
            {
                throw new LinuxException($"write {what}: short write", EIO);
            }
        }
    }

    /// <summary>Reads exactly count bytes; false on EOF before the first byte.</summary>
    public static bool ReadExact(int fd, Span<byte> buf, string what)
    {
        int got;
        fixed (byte* p = buf)
        {
            got = Transfer(fd, p, buf.Length, write: false, what);
        }
        if (got == 0 && buf.Length > 0)
        {
            return false;
        }
        return got == buf.Length ? true : throw new LinuxException($"read {what}: short read", EINVAL);
    }

    /// <summary>
    /// Reads or writes length bytes at p, again where a signal interrupted the call or it did
    /// part; returns how many were done before end of file (a read's 0).
    /// </summary>
    private static int Transfer(int fd, byte* p, int length, bool write, string what)
    {
        int off = 0;
        while (off < length)
        {
            nint n = write ? Libc.write(fd, p + off, length - off) : Libc.read(fd, p + off, length - off);
            if (n < 0)
            {
                int e = Marshal.GetLastPInvokeError();
                if (e == EINTR)
                {
                    continue;
                }
                throw new LinuxException($"{(write ? "write" : "read")} {what}", e);
            }
            if (n == 0)
            {
                break;
            }
            off += (int)n;
        }
        return off;
    }

    public static void SetCloexec(int fd, bool on)
    {
        int flags = LinuxException.Check(Libc.fcntl(fd, F_GETFD, 0), "fcntl F_GETFD");
        flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        LinuxException.Check(Libc.fcntl(fd, F_SETFD, flags), "fcntl F_SETFD");
    }

    public static (int, int) SocketPair(int type)
    {
        int* sv = stackalloc int[2];
        LinuxException.Check(Libc.socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), "socketpair");
        return (sv[0], sv[1]);
    }

    public static int PidfdOpen(int pid) => (int)Libc.syscall(SYS_pidfd_open, pid, 0, 0, 0, 0);

    /// <summary>waitpid that retries EINTR; returns the raw status or -1 when pid is not our child.</summary>
    public static int WaitPid(int pid, bool noHang = false)
    {
        int status;
        while (true)
        {
            int r = Libc.waitpid(pid, &status, noHang ? WNOHANG : 0);
            if (r > 0)
            {
                return status;
            }
            if (r == 0)
            {
                return int.MinValue;
            }
            if (Marshal.GetLastPInvokeError() != EINTR)
            {
                return -1;
            }
        }
    }

    /// <summary>SIGKILL and reap a child that must not outlive a failed operation.</summary>
    public static void KillAndReap(int pid)
    {
        Libc.kill(pid, SIGKILL);
        WaitPid(pid);
    }

    /// <summary>Shell convention for a wait status: the exit code, or 128+signal.</summary>
    public static int ExitCodeOf(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}
