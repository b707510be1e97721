using System.Text.Json;
using Ocirun.IntegrationTests.Harness;

namespace Ocirun.IntegrationTests;

/// <summary>exec into a running container, and pause/resume around it.</summary>
public sealed class ExecTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private readonly Bundle _b;

    public ExecTests()
    {
        _b = new Bundle("sleep", "300");
        _b.Spec.Hostname = "exechost";
        _b.Spec.Mounts!.Add(new Spec.Model.Mount { Destination = "/marker", Type = "tmpfs", Source = "tmpfs", Options = ["size=1m"] });
        _b.Write();
        _rt.RunDetached(_b.Dir, "c1", "sleep");
    }

    public void Dispose()
    {
        _rt.Dispose();
        _b.Dispose();
    }

    private int InitPid => JsonDocument.Parse(_rt.Ok("state", "c1").Stdout).RootElement.GetProperty("pid").GetInt32();

    [Fact]
    public void ExecSeesTheContainersNamespacesMountsAndCgroup()
    {
        var r = _rt.Ok("exec", "c1", "sh", "-c",
            "hostname; grep -c ' /marker ' /proc/self/mountinfo; ps -o pid,comm | grep -c sleep; readlink /proc/self/ns/net; cat /proc/self/cgroup | grep pids");
        var lines = r.Stdout.Split('\n');
        Assert.Equal("exechost", lines[0]);
        Assert.Equal("1", lines[1]);
        Assert.Equal("1", lines[2]);
        Assert.Equal(new FileInfo($"/proc/{InitPid}/ns/net").LinkTarget, lines[3]);
        Assert.EndsWith(":pids:/", lines[4]);
    }

    [Fact]
    public void ExecCountsInTheContainersCgroup()
    {
        _rt.Ok("exec", "-d", "--pid-file", Path.Combine(_b.Dir, "exec.pid"), "c1", "sleep", "200");
        var pid = int.Parse(File.ReadAllText(Path.Combine(_b.Dir, "exec.pid")));
        var procs = File.ReadAllLines("/sys/fs/cgroup/pids" + _b.Spec.Linux!.CgroupsPath + "/cgroup.procs");
        Assert.Contains(pid.ToString(), procs);
        var ps = JsonSerializer.Deserialize<int[]>(_rt.Ok("ps", "--format", "json", "c1").Stdout)!;
        Assert.Contains(pid, ps);
    }

    [Fact]
    public void ExecExitStatusAndMissingBinary()
    {
        Assert.Equal(7, _rt.Exec("exec", "c1", "sh", "-c", "exit 7").ExitCode);
        var missing = _rt.Exec("exec", "c1", "no-such-binary");
        Assert.Equal(255, missing.ExitCode);
        Assert.Contains("executable file not found in $PATH", missing.Stderr);
    }

    [Fact]
    public void ExecWithProcessFileUserEnvAndCaps()
    {
        var file = Path.Combine(_b.Dir, "process.json");
        File.WriteAllText(file, """
            {"terminal": false, "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
             "args": ["sh", "-c", "id -u; id -G; echo $FOO; grep CapEff /proc/self/status; pwd"],
             "env": ["PATH=/bin", "FOO=from-file"], "cwd": "/tmp",
             "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
                              "ambient": ["CAP_KILL"], "inheritable": ["CAP_KILL"]}}
            """);
        // --tty is tolerated next to --process (conmon sends both); the file decides.
        var r = _rt.Ok("exec", "--process", file, "--tty", "c1");
        Assert.Equal("1000\n1000 10\nfrom-file\nCapEff:\t0000000000000020\n/tmp\n", r.Stdout);
    }

    [Fact]
    public void ExecFlagsOverrideTheContainersProcess()
    {
        var r = _rt.Ok("exec", "--user", "1000:1000", "--env", "FOO=bar", "--cwd", "/tmp", "--cap", "CAP_SYS_ADMIN", "c1",
            "sh", "-c", "id -u; echo $FOO; pwd; grep CapBnd /proc/self/status");
        var lines = r.Stdout.Split('\n');
        Assert.Equal("1000", lines[0]);
        Assert.Equal("bar", lines[1]);
        Assert.Equal("/tmp", lines[2]);
        // The config's CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE plus CAP_SYS_ADMIN (bit 21).
        Assert.Equal("CapBnd:\t0000000020200420", lines[3]);
    }

    [Fact]
    public void PauseFreezesAndResumeContinues()
    {
        _rt.Ok("exec", "-d", "c1", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /marker/next; mv /marker/next /marker/count; sleep 0.05; done");
        // The rename keeps /marker/count whole: the freezer may stop the loop mid-write.
        // Until the loop has renamed its first file into place, cat fails: keep asking.
        LifecycleTests.WaitFor(() => _rt.Exec("exec", "c1", "cat", "/marker/count") is { ExitCode: 0 } r
            && int.TryParse(r.Stdout.Trim(), out var n) && n > 2);
        _rt.Ok("pause", "c1");
        Assert.Contains("\"status\": \"paused\"", _rt.Ok("state", "c1").Stdout);
        var paused = _rt.Exec("exec", "c1", "true");
        Assert.Equal(255, paused.ExitCode);
        Assert.Contains("cannot exec in a paused container", paused.Stderr);
        // A process exec'd now would join the frozen cgroup and freeze too: read from the host.
        var before = ReadCountFromHost();
        Thread.Sleep(300);
        Assert.Equal(before, ReadCountFromHost());
        Assert.Contains("container not running", _rt.Exec("pause", "c1").Stderr);
        _rt.Ok("resume", "c1");
        Assert.Contains("container not paused", _rt.Exec("resume", "c1").Stderr);
        LifecycleTests.WaitFor(() => int.Parse(ReadCountFromHost()) > int.Parse(before));
    }

    private string ReadCountFromHost() => File.ReadAllText($"/proc/{InitPid}/root/marker/count");

    /// <summary>execve itself fails after the process is ready: exec must still say why, not succeed.</summary>
    [Fact]
    public void AnExecThatTheKernelRefusesIsReported()
    {
        _rt.Ok("exec", "c1", "sh", "-c", "printf 'not a program' > /marker/bad; chmod +x /marker/bad");
        var r = _rt.Exec("exec", "c1", "/marker/bad");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("exec format error", r.Stderr);
        Assert.DoesNotContain("/marker/bad", _rt.Ok("ps", "c1").Stdout);
    }

    /// <summary>A system call failing on the host side (here: connecting the pidfd socket) is an exec failure too.</summary>
    [Fact]
    public void AHostSideFailureIsAnExecFailure()
    {
        var r = _rt.Exec("exec", "--pidfd-socket", Path.Combine(_b.Dir, "no-such-socket"), "c1", "true");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("exec failed: connect to pidfd socket", r.Stderr);
    }

    [Fact]
    public void ExecIntoAStoppedContainerFails()
    {
        _rt.Ok("kill", "c1", "KILL");
        LifecycleTests.WaitFor(() => _rt.Ok("state", "c1").Stdout.Contains("stopped"));
        var r = _rt.Exec("exec", "c1", "true");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("cannot exec in a stopped container", r.Stderr);
    }
}
