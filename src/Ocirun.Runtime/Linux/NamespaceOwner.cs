using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// Which user namespace owns a namespace (ioctl NS_GET_USERNS). A container that joins a user
/// namespace by path can only use namespaces that one owns, or the host's (joined first, as
/// runc 1.2 orders them): one owned by a third user namespace would be joined and then be
/// out of the container's reach, so it is refused before anything is created.
/// </summary>
internal static unsafe class NamespaceOwner
{
    private const ulong NS_GET_USERNS = 0xb701;

    public static void RequireUsable(IEnumerable<(string Type, string Path)> joins, string userNsPath)
    {
        var allowed = new[] { Identity(userNsPath), Identity("/proc/self/ns/user") };
        foreach (var (type, path) in joins)
        {
            using var ns = new Fd(Sys.Open(path, O_RDONLY));
            int owner = Libc.ioctl(ns.Value, NS_GET_USERNS, 0);
            if (owner < 0)
            {
                // Not a namespace file, or one without an owner to ask: setns will say what is wrong.
                continue;
            }
            using var ownerFd = new Fd(owner);
            if (!allowed.Contains(Identity(ownerFd.Value)))
            {
                throw new ContainerException($"{type} namespace {path} is owned by a user namespace other than {userNsPath} "
                    + "or the host's: the container could not use it");
            }
        }
    }

    private static (ulong Dev, ulong Ino) Identity(string path)
    {
        using var fd = new Fd(Sys.Open(path, O_RDONLY));
        return Identity(fd.Value);
    }

    private static (ulong Dev, ulong Ino) Identity(int fd)
    {
        StatBuf st;
        LinuxException.Check(Libc.fstat(fd, &st), "fstat namespace");
        return (st.Dev, st.Ino);
    }
}
