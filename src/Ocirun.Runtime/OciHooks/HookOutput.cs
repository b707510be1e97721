using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.OciHooks;

/// <summary>
/// A hook's stdout and stderr, kept as runc keeps them: never on the runtime's own stdio
/// (which is the container's during create), and quoted in the error when the hook fails.
/// Pipes, as runc's, so that a seccomp filter already on the init needs nothing for a
/// startContainer hook that runc's would not. They are read while the hook runs (a full pipe
/// would stop it) and only until it has exited: a process it left behind holding them is not
/// waited for.
/// </summary>
internal sealed unsafe class HookOutput : IDisposable
{
    // What the error quotes of each (runc quotes all): a hook may write without end.
    private const int Quoted = 1 << 20;
    // How often a hook that keeps its pipes open is looked at for its exit.
    private const int LookMs = 5;

    private readonly Pipe[] _pipes = [new Pipe(), new Pipe()];
    private readonly Fd[] _writeEnds = new Fd[2];

    public HookOutput()
    {
        int* p = stackalloc int[2];
        for (int i = 0; i < 2; i++)
        {
            LinuxException.Check(Libc.pipe2(p, O_CLOEXEC), "pipe");
            _pipes[i].Fd = new Fd(p[0]);
            _writeEnds[i] = new Fd(p[1]);
            Libc.fcntl(p[0], F_SETFL, O_NONBLOCK);
        }
    }

    /// <summary>The hook's fds 1 and 2.</summary>
    public IEnumerable<(int Source, int Target)> FdMap => [(_writeEnds[0].Value, 1), (_writeEnds[1].Value, 2)];

    /// <summary>After the spawn: the hook holds the write ends, and their end of file is its.</summary>
    public void Spawned()
    {
        foreach (var w in _writeEnds)
        {
            w.Dispose();
        }
    }

    /// <summary>Reads the hook's output until it exits; returns its wait status, or kills it at the timeout and says so.</summary>
    public int WaitFor(int pid, int? timeoutSeconds)
    {
        long deadline = timeoutSeconds is { } t ? Environment.TickCount64 + t * 1000L : long.MaxValue;
        PollFd* fds = stackalloc PollFd[2];
        while (true)
        {
            int status = Sys.WaitPid(pid, noHang: true);
            if (status != int.MinValue)
            {
                ReadAvailable();
                return status;
            }
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                Libc.kill(pid, SIGKILL);
                Sys.WaitPid(pid);
                throw new ContainerException($"hook ran past specified timeout of {timeoutSeconds!.Value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}s");
            }
            int n = 0;
            foreach (var s in _pipes.Where(s => !s.Ended))
            {
                fds[n++] = new PollFd { Fd = s.Fd!.Value, Events = POLLIN };
            }
            if (n == 0 && timeoutSeconds == null)
            {
                // Both at their end: the hook has exited or is about to.
                return Sys.WaitPid(pid);
            }
            if (Libc.poll(fds, (ulong)n, (int)Math.Min(left, LookMs)) < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                LinuxException.Check(-1, "poll");
            }
            ReadAvailable();
        }
    }

    /// <summary>runc's words after a failed hook's status.</summary>
    public string Quote() => $", stdout: {_pipes[0].Text}, stderr: {_pipes[1].Text}";

    private void ReadAvailable()
    {
        var buf = stackalloc byte[4096];
        foreach (var s in _pipes.Where(s => !s.Ended))
        {
            while (true)
            {
                nint got = Libc.read(s.Fd!.Value, buf, 4096);
                if (got < 0 && Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }
                if (got <= 0)
                {
                    // 0: its end; EAGAIN: nothing more for now; another error ends it too.
                    s.Ended = got == 0 || Marshal.GetLastPInvokeError() != EAGAIN;
                    break;
                }
                s.Keep(new ReadOnlySpan<byte>(buf, (int)got));
            }
        }
    }

    public void Dispose()
    {
        foreach (var w in _writeEnds)
        {
            w.Dispose();
        }
        foreach (var s in _pipes)
        {
            s.Fd?.Dispose();
        }
    }

    private sealed class Pipe
    {
        private readonly MemoryStream _kept = new();

        public Fd? Fd { get; set; }

        public bool Ended { get; set; }

        public string Text => Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);

        public void Keep(ReadOnlySpan<byte> data) => _kept.Write(data[..Math.Min(data.Length, Quoted - (int)_kept.Length)]);
    }
}
