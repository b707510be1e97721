using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Linux;

/// <summary>A file descriptor that is closed when the scope that owns it ends; -1 owns nothing.</summary>
internal sealed class OwnedFd(int fd) : IDisposable
{
    public int Fd { get; private set; } = fd;

    public void Dispose()
    {
        if (Fd >= 0)
        {
            Libc.close(Fd);
            Fd = -1;
        }
    }
}
