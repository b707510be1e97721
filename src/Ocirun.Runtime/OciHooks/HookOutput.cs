using System.Text;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.OciHooks;

/// <summary>
/// A hook's stdout and stderr, kept as runc keeps them: never on the runtime's own stdio
/// (which is the container's during create), and quoted in the error when the hook fails.
/// Each is a memfd rather than a pipe, so that reading it never waits for a process the hook
/// left behind that still holds it.
/// </summary>
internal sealed unsafe class HookOutput : IDisposable
{
    // What the error quotes of each; a hook may write far more.
    private const int Quoted = 64 << 10;

    private readonly Fd _stdout, _stderr;

    private HookOutput(int stdout, int stderr)
    {
        _stdout = new Fd(stdout);
        _stderr = new Fd(stderr);
    }

    /// <summary>Two memfds, or null where the kernel (or a seccomp filter already on the init) refuses them.</summary>
    public static HookOutput? Create()
    {
        int stdout = Libc.memfd_create("hook-stdout", MFD_CLOEXEC);
        if (stdout < 0)
        {
            return null;
        }
        int stderr = Libc.memfd_create("hook-stderr", MFD_CLOEXEC);
        if (stderr < 0)
        {
            Sys.Close(stdout);
            return null;
        }
        return new HookOutput(stdout, stderr);
    }

    /// <summary>The hook's fds 1 and 2.</summary>
    public IEnumerable<(int Source, int Target)> FdMap => [(_stdout.Value, 1), (_stderr.Value, 2)];

    /// <summary>runc's words after a failed hook's status.</summary>
    public string Quote() => $", stdout: {Read(_stdout.Value)}, stderr: {Read(_stderr.Value)}";

    private static string Read(int fd)
    {
        var buf = new byte[Quoted];
        int total = 0;
        fixed (byte* p = buf)
        {
            while (total < buf.Length)
            {
                nint n = Libc.pread(fd, p + total, buf.Length - total, total);
                if (n <= 0)
                {
                    break;
                }
                total += (int)n;
            }
        }
        return Encoding.UTF8.GetString(buf, 0, total);
    }

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
