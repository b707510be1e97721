using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Linux;

namespace Ocirun.IntegrationTests;

/// <summary>process.terminal with --console-socket: the pty master arrives by SCM_RIGHTS.</summary>
public sealed class TerminalTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    [Fact]
    public async Task ConsoleSocketReceivesAWorkingPty()
    {
        using var b = new Bundle().Shell("tty; [ -t 0 ] && echo stdin-is-tty; read line; echo got:$line");
        b.Spec.Process!.Terminal = true;
        b.Spec.Process.ConsoleSize = new Spec.Model.ConsoleSize { Height = 40, Width = 123 };
        b.Write();
        var sockPath = Path.Combine(b.Dir, "console.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(sockPath));
        listener.Listen(1);
        var accept = listener.AcceptAsync();

        _rt.Ok("create", "--bundle", b.Dir, "--console-socket", sockPath, "c1");
        using var conn = await accept;
        var (fd, name) = FdPassing.Receive((int)conn.Handle);
        Assert.Equal("/dev/ptmx", name);
        using var master = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, 1);

        _rt.Ok("start", "c1");
        master.Write("hello\n"u8);
        master.Flush();
        var text = await ReadUntil(master, "got:hello");
        Assert.Contains("/dev/pts/0", text);
        Assert.Contains("stdin-is-tty", text);
    }

    [Fact]
    public void TerminalWithoutConsoleSocketIsRefusedForCreate()
    {
        using var b = new Bundle("true");
        b.Spec.Process!.Terminal = true;
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "cannot allocate tty if runc will detach without setting console socket");
    }

    [Fact]
    public void ConsoleSocketWithoutTerminalIsRefused()
    {
        using var b = new Bundle("true");
        var r = _rt.Exec("create", "--bundle", b.Dir, "--console-socket", "/tmp/nothing.sock", "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cannot use console socket if runc will not detach or allocate tty", r.Stderr);
    }

    private static async Task<string> ReadUntil(FileStream master, string marker)
    {
        var text = "";
        var buf = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!text.Contains(marker))
        {
            int n;
            try
            {
                n = await master.ReadAsync(buf, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                n = 0;
            }
            if (n == 0)
            {
                throw new Xunit.Sdk.XunitException("pty output so far: " + text);
            }
            text += System.Text.Encoding.UTF8.GetString(buf, 0, n);
        }
        return text;
    }

    [Fact]
    public void ForegroundRunAndExecWithATerminalUseTheCallersTerminal()
    {
        // script(1) gives ocirun a terminal of its own as stdio, as an interactive shell would.
        using var b = new Bundle().Shell("tty; read line; echo got:$line; exit 5");
        b.Spec.Process!.Terminal = true;
        b.Write();
        var run = Harness.Run.Program("script", ["-qec", $"{TestEnv.Bin} --root {_rt.Root} run --bundle {b.Dir} c1", "/dev/null"],
            stdin: "hello\n");
        Assert.Contains("/dev/pts/0", run.Stdout);
        Assert.Contains("got:hello", run.Stdout);
        Assert.Equal(5, run.ExitCode);

        b.Spec.Process.Terminal = false;
        b.Spec.Process.Args = ["sleep", "300"];
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c2");
        var exec = Harness.Run.Program("script", ["-qec", $"{TestEnv.Bin} --root {_rt.Root} exec -t c2 sh -c 'tty; exit 3'", "/dev/null"]);
        Assert.Contains("/dev/pts/", exec.Stdout);
        Assert.Equal(3, exec.ExitCode);
    }
}
