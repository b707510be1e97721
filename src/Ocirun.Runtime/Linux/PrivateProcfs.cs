using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// A procfs instance of the caller's namespaces that is attached nowhere (fsopen and fsmount):
/// no mount over the container's /proc, from its config, a hook or another mount namespace's
/// propagation, can redirect what is written through it to another file. runc 1.3 writes
/// sysctls the same way. Where a new procfs cannot be made (a user namespace that does not own
/// the pid namespace) it is a detached clone of the /proc mount alone, without what covers
/// anything below it; where neither works, /proc itself; either only if it is a procfs's root.
/// </summary>
internal sealed unsafe class PrivateProcfs : IDisposable
{
    private readonly Fd _root;
    private readonly string _shown;

    private PrivateProcfs(int root, string shown)
    {
        _root = new Fd(root);
        _shown = shown;
    }

    public static PrivateProcfs Open()
    {
        if (NewInstance() is >= 0 and var fresh)
        {
            return new PrivateProcfs(fresh, "/proc");
        }
        int clone;
        fixed (byte* proc = Sys.CString("/proc"))
        {
            clone = (int)Libc.syscall(SYS_open_tree, AT_FDCWD, (long)proc, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, 0, 0);
        }
        if (Verified(clone) is >= 0 and var cloned)
        {
            return new PrivateProcfs(cloned, "/proc");
        }
        return Verified(Libc.open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)) is >= 0 and var opened
            ? new PrivateProcfs(opened, "/proc")
            : throw new ContainerException("unsafe procfs detected: /proc is not the root of a procfs");
    }

    /// <summary>
    /// fd if it is the root of a procfs (its type, and inode 1, the root's), as runc verifies
    /// a handle it did not make itself; -1 (and fd closed) otherwise: an image's own /proc,
    /// where the spec mounts none, would take the values into its files.
    /// </summary>
    private static int Verified(int fd)
    {
        if (fd < 0)
        {
            return -1;
        }
        StatBuf st;
        if (Sys.FsTypeOf(fd) == PROC_SUPER_MAGIC && Libc.fstat(fd, &st) == 0 && st.Ino == 1)
        {
            return fd;
        }
        Sys.Close(fd);
        return -1;
    }

    private static int NewInstance()
    {
        int fs = Sys.FsOpen("proc");
        if (fs < 0)
        {
            return -1;
        }
        try
        {
            return Libc.syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, 0, 0, 0) < 0 ? -1
                : (int)Libc.syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (long)MOUNT_ATTR_NOEXEC, 0, 0);
        }
        finally
        {
            Sys.Close(fs);
        }
    }

    /// <summary>
    /// Opens path (relative, e.g. "sys/kernel/domainname") for writing, on this procfs only: no
    /// symlink, no other filesystem on the way. Failures name it as under /proc.
    /// </summary>
    public int OpenForWrite(string path)
    {
        int fd = Sys.OpenAt2(_root.Value, path, O_WRONLY | O_TRUNC, 0,
            RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        return fd >= 0 ? fd : throw new LinuxException($"openat2 {_shown}/{path}", Marshal.GetLastPInvokeError());
    }

    /// <summary>runc 1.3's sysctl writes, in its words: "open sysctl K file: …", "failed to write sysctl K = "V": …".</summary>
    public void WriteSysctl(string key, string value)
    {
        var path = "sys/" + key.Replace('.', '/');
        int fd;
        try
        {
            fd = OpenForWrite(path);
        }
        catch (LinuxException e)
        {
            throw new ContainerException($"open sysctl {key} file: {e.Message}");
        }
        using var file = new Fd(fd);
        try
        {
            Sys.WriteAll(file.Value, Encoding.UTF8.GetBytes(value), $"{_shown}/{path}");
        }
        catch (LinuxException e)
        {
            throw new ContainerException($"failed to write sysctl {key} = {Quoting.Go(value)}: {e.Message}");
        }
    }

    public void Dispose() => _root.Dispose();
}
