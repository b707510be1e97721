namespace Ocirun.Runtime.Interop;

/// <summary>
/// Linux constants that are the same on every architecture the kernel's generic ABI covers;
/// those that differ (syscall numbers, some open flags, struct stat) are in Arch.*.cs, one
/// file per architecture.
/// </summary>
internal static partial class Consts
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    public const int F_OK = 0, X_OK = 1, W_OK = 2, AT_EACCESS = 0x200;

    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030;
    public const int F_ADD_SEALS = 1033, F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
    public const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_EXEC = 0x10;

    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
        MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768,
        MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_I_VERSION = 1 << 23, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    public const int MNT_DETACH = 2;
    public const int UMOUNT_NOFOLLOW = 8;

    // statfs f_type of filesystems the runtime tells apart.
    public const long PROC_SUPER_MAGIC = 0x9fa0, TMPFS_MAGIC = 0x01021994, EXT4_SUPER_MAGIC = 0xEF53, XFS_SUPER_MAGIC = 0x58465342, BTRFS_SUPER_MAGIC = 0x9123683E;

    // statfs f_flags (ST_*), used to keep locked flags on bind remounts.
    public const long ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_NOATIME = 1024,
        ST_NODIRATIME = 2048, ST_RELATIME = 4096, ST_NOSYMFOLLOW = 8192;

    public const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFLNK = 0xA000,
        S_IFREG = 0x8000;

    public const int PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15,
        PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24, PR_SET_SECUREBITS = 28, PR_SET_NO_NEW_PRIVS = 38,
        PR_SET_CHILD_SUBREAPER = 36, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    public const int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    public const int MSG_PEEK = 2, MSG_CTRUNC = 8, MSG_TRUNC = 0x20, MSG_NOSIGNAL = 0x4000,
        MSG_CMSG_CLOEXEC = 0x40000000;

    public const int WNOHANG = 1;
    public const short POLLIN = 1, POLLHUP = 16;

    public const ulong TIOCSCTTY = 0x540E, TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431, TIOCSWINSZ = 0x5414, TIOCGPTPEER = 0x5441,
        TIOCGWINSZ = 0x5413;

    public const int SIGKILL = 9, SIGTERM = 15, SIGCHLD = 17;

    public const int EINTR = 4, EIO = 5, ENOENT = 2, ESRCH = 3, EAGAIN = 11, EEXIST = 17, ENOSYS = 38, EINVAL = 22,
        ENOTDIR = 20, EPERM = 1, EBUSY = 16, ECHILD = 10, EXDEV = 18, ELOOP = 40, EWOULDBLOCK = 11,
        EPIPE = 32, ECONNRESET = 104, EROFS = 30, EACCES = 13;

    // open_tree(2) and move_mount(2): detached mount trees.
    public const long OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000, MOVE_MOUNT_F_EMPTY_PATH = 4,
        MOVE_MOUNT_T_SYMLINKS = 0x10, MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    public const long CLOSE_RANGE_CLOEXEC = 1 << 2;

    // The new mount API (fsopen, fsconfig, fsmount).
    public const long FSOPEN_CLOEXEC = 1, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6, FSMOUNT_CLOEXEC = 1,
        MOUNT_ATTR_RDONLY = 1, MOUNT_ATTR_NOSUID = 2, MOUNT_ATTR_NODEV = 4;

    // mount_setattr(2) attributes (MOUNT_ATTR_*); the access-time mode is a 3-bit field.
    public const ulong MOUNT_ATTR_NOEXEC = 8, MOUNT_ATTR__ATIME = 0x70, MOUNT_ATTR_RELATIME = 0, MOUNT_ATTR_NOATIME = 0x10,
        MOUNT_ATTR_STRICTATIME = 0x20, MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_IDMAP = 0x100000,
        MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

    public const int AT_RECURSIVE = 0x8000;

    public const ulong RESOLVE_NO_XDEV = 1, RESOLVE_NO_MAGICLINKS = 2, RESOLVE_NO_SYMLINKS = 4,
        RESOLVE_BENEATH = 8, RESOLVE_IN_ROOT = 16;
}
