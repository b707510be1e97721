using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// linux.maskedPaths, as runc 1.3 masks them: a file gets /dev/null bound over it; every
/// directory gets the same empty read-only tmpfs of one block and one inode, mounted on the
/// first and cloned onto the others. One superblock rather than one per path: nothing can be
/// stored in it even if a privileged container remounts it writable, and a checkpoint archives
/// it once (CRIU runs tar and gzip for every tmpfs superblock, on dump and again on restore).
/// </summary>
internal sealed class PathMasker : IDisposable
{
    // The first directory mask, the source of every later one; -1 until then, and for good
    // once cloning failed (a kernel without open_tree), when each directory gets its own.
    private Fd _shared = new(-1);
    private bool _cloneFailed;

    public void Mask(string path)
    {
        if (Directory.Exists(path))
        {
            MaskDirectory(path);
        }
        else if (File.Exists(path) || IsSpecialFile(path))
        {
            Sys.Mount("/dev/null", path, "bind", MS_BIND, null);
        }
    }

    private void MaskDirectory(string path)
    {
        if (!_shared.IsInvalid && TryClone(path))
        {
            return;
        }
        MountEmptyTmpfs(path);
        if (_shared.IsInvalid && !_cloneFailed)
        {
            _shared = new Fd(Libc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
            _cloneFailed = _shared.IsInvalid;
        }
    }

    public static void MountEmptyTmpfs(string path)
    {
        // Some distribution kernels refuse nr_inodes below 2 (runc retries the same way).
        if (Libc.mount("tmpfs", path, "tmpfs", MS_RDONLY, "nr_blocks=1,nr_inodes=1") < 0)
        {
            if (Marshal.GetLastPInvokeError() != EINVAL)
            {
                throw LinuxException.Last($"mask {path}");
            }
            Sys.Mount("tmpfs", path, "tmpfs", MS_RDONLY, "nr_blocks=1,nr_inodes=2");
        }
    }

    /// <summary>A clone of the shared mask (read-only like it) moved onto path; false, once and for all, if the kernel cannot.</summary>
    private unsafe bool TryClone(string path)
    {
        fixed (byte* empty = Sys.CString(""))
        fixed (byte* target = Sys.CString(path))
        {
            using var tree = new Fd((int)Libc.syscall(SYS_open_tree, _shared.Value, (long)empty,
                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH, 0, 0));
            // The target's last symlink is followed, as mount(2) follows it for the first mask.
            if (!tree.IsInvalid && Libc.syscall(SYS_move_mount, tree.Value, (long)empty, AT_FDCWD, (long)target,
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) == 0)
            {
                return true;
            }
        }
        _cloneFailed = true;
        _shared.Dispose();
        _shared = new Fd(-1);
        return false;
    }

    private static bool IsSpecialFile(string path) => Libc.open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW, 0) is var fd && fd >= 0 && Libc.close(fd) == 0;

    public void Dispose() => _shared.Dispose();
}
