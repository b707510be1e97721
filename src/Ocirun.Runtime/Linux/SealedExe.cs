using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// A sealed in-memory copy of our own binary for `ocirun init`: a container process that
/// reaches /proc/PID/exe of the init can then not overwrite the host's ocirun (CVE-2019-5736).
/// </summary>
internal static unsafe class SealedExe
{
    /// <summary>Returns an fd of a sealed memfd holding /proc/self/exe.</summary>
    public static int Create()
    {
        int src = Sys.Open("/proc/self/exe", O_RDONLY);
        try
        {
            int mfd = Libc.memfd_create("ocirun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
            if (mfd < 0)
            {
                // Kernels before 6.3 reject MFD_EXEC; their memfds are executable anyway.
                mfd = LinuxException.Check(Libc.memfd_create("ocirun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING), "memfd_create");
            }
            long off = 0;
            while (true)
            {
                nint n = Libc.sendfile(mfd, src, &off, 1 << 30);
                if (n == 0)
                {
                    break;
                }
                if (n < 0)
                {
                    Sys.Close(mfd);
                    throw LinuxException.Last("copy /proc/self/exe into memfd");
                }
            }
            LinuxException.Check(Libc.fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
                "seal memfd");
            return mfd;
        }
        finally
        {
            Sys.Close(src);
        }
    }
}
