using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Interop;

namespace Ocirun.IntegrationTests;

/// <summary>--pidfd-socket (runc 1.2+): a pidfd of the container's process arrives by SCM_RIGHTS.</summary>
public sealed class PidfdSocketTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    /// <summary>The pid a pidfd refers to, from its fdinfo.</summary>
    private static int PidOf(int pidfd) => int.Parse(File.ReadAllLines($"/proc/self/fdinfo/{pidfd}")
        .Single(l => l.StartsWith("Pid:", StringComparison.Ordinal))[4..].Trim());

    private int StatePid(string id) =>
        System.Text.Json.JsonDocument.Parse(_rt.Ok("state", id).Stdout).RootElement.GetProperty("pid").GetInt32();

    [Fact]
    public void CreateAndExecSendAPidfdOfTheirProcess()
    {
        using var b = new Bundle("sleep", "300");
        using (var init = new FdReceiver(Path.Combine(b.Dir, "init.sock")))
        {
            _rt.Ok("create", "--pidfd-socket", init.Path, "--bundle", b.Dir, "c1");
            var (fd, name) = init.Receive();
            try
            {
                Assert.Equal("standard", name);
                Assert.Equal(StatePid("c1"), PidOf(fd));
            }
            finally
            {
                Libc.close(fd);
            }
        }
        _rt.Ok("start", "c1");
        using var exec = new FdReceiver(Path.Combine(b.Dir, "exec.sock"));
        var pidFile = Path.Combine(b.Dir, "exec.pid");
        _rt.Ok("exec", "-d", "--pidfd-socket", exec.Path, "--pid-file", pidFile, "c1", "sleep", "100");
        var (efd, ename) = exec.Receive();
        try
        {
            Assert.Equal("setns", ename);
            Assert.Equal(int.Parse(File.ReadAllText(pidFile)), PidOf(efd));
        }
        finally
        {
            Libc.close(efd);
        }
    }

    [Fact]
    public void APidfdSocketNobodyListensOnFailsCreateCleanly()
    {
        using var b = new Bundle("true");
        var r = _rt.Exec("create", "--pidfd-socket", Path.Combine(b.Dir, "nobody.sock"), "--bundle", b.Dir, "c1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("pidfd socket", r.Stderr);
        Assert.Empty(_rt.Ids());
    }
}
