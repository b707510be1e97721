using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Terminal;

/// <summary>
/// For a foreground run or exec with a terminal and no --console-socket: the runtime receives
/// the pty master itself and copies between it and its own stdio (raw mode, window size
/// following SIGWINCH), as runc does.
/// </summary>
public sealed unsafe class ConsoleRelay : IDisposable
{
    private const int TCSANOW = 0, SIGWINCH = 28;
    private readonly int _ours;
    private int _master = -1;
    private byte[]? _savedTermios;
    private PosixSignalRegistration? _winch;

    public ConsoleRelay()
    {
        RequireHostConsole();
        (_ours, PeerFd) = Sys.SocketPair(SOCK_STREAM);
    }

    /// <summary>
    /// runc relays only to a terminal: stderr, stdout or stdin if one is one, else the
    /// controlling terminal (/dev/tty). Without any it refuses, before anything is created.
    /// </summary>
    private static void RequireHostConsole()
    {
        if (Libc.isatty(2) == 1 || Libc.isatty(1) == 1 || Libc.isatty(0) == 1)
        {
            return;
        }
        int tty = Libc.open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
        if (tty < 0)
        {
            throw LinuxException.Last("open /dev/tty");
        }
        Libc.close(tty);
    }

    /// <summary>The end handed to the init in place of a connected console socket.</summary>
    public int PeerFd { get; private set; }

    /// <summary>Takes the master the init sent, makes our terminal raw and starts copying.</summary>
    public void Start()
    {
        Sys.Close(PeerFd);
        PeerFd = -1;
        (_master, _) = FdPassing.Receive(_ours);
        if (Libc.isatty(0) == 1)
        {
            var t = new byte[64];
            fixed (byte* p = t)
            {
                if (Libc.tcgetattr(0, p) == 0)
                {
                    _savedTermios = (byte[])t.Clone();
                    Libc.cfmakeraw(p);
                    Libc.tcsetattr(0, TCSANOW, p);
                }
            }
            CopyWindowSize();
            _winch = PosixSignalRegistration.Create((PosixSignal)SIGWINCH, ctx =>
            {
                ctx.Cancel = true;
                CopyWindowSize();
            });
        }
        new Thread(() => Copy(0, _master)) { IsBackground = true, Name = "console-in" }.Start();
        _output = new Thread(() => Copy(_master, 1)) { IsBackground = false, Name = "console-out" };
        _output.Start();
    }

    private Thread? _output;

    /// <summary>Waits until the container side closed the terminal and its output is written.</summary>
    public void Drain() => _output?.Join(TimeSpan.FromSeconds(5));

    private void CopyWindowSize()
    {
        ushort* ws = stackalloc ushort[4];
        if (Libc.ioctl(0, TIOCGWINSZ, (nint)ws) == 0)
        {
            Libc.ioctl(_master, TIOCSWINSZ, (nint)ws);
        }
    }

    /// <summary>Copies until end of file or an error (EIO once the pty's last slave is closed).</summary>
    private static void Copy(int from, int to)
    {
        var buf = new byte[8192];
        fixed (byte* p = buf)
        {
            while (true)
            {
                nint n = Libc.read(from, p, buf.Length);
                if (n < 0 && Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }
                if (n <= 0)
                {
                    return;
                }
                try
                {
                    Sys.WriteAll(to, new ReadOnlySpan<byte>(p, (int)n), "console");
                }
                catch (LinuxException)
                {
                    return;
                }
            }
        }
    }

    public void Dispose()
    {
        _winch?.Dispose();
        if (_savedTermios != null)
        {
            fixed (byte* p = _savedTermios)
            {
                Libc.tcsetattr(0, TCSANOW, p);
            }
        }
        Sys.Close(PeerFd);
        Sys.Close(_ours);
        Sys.Close(_master);
    }
}
