using System.Text.Json;
using Ocirun.E2ETests.Harness;

namespace Ocirun.E2ETests;

/// <summary>The everyday Podman commands, each through ocirun and, for comparison, runc.</summary>
public sealed class LifecycleTests(PodmanFixture fixture) : PodmanTest(fixture)
{
    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void RunRmReturnsTheExitCodeAndLeavesNothing(string rt)
    {
        var p = Src(rt);
        var name = Container(p, "rm");
        var r = p.Run(["run", "--rm", "--name", name, .. CidFile(), "--network", "none", E2EEnv.Image, "sh", "-c", "echo out; echo err >&2; exit 3"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Contains("err", r.Stderr);
        Assert.Null(p.Status(name));
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void DetachedContainerLogsPsStopRm(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "detached", "trap 'echo bye; exit 0' TERM; echo hello; while true; do sleep 0.1; done");
        Poll.Until(() => p.Logs(name).Contains("hello"), "hello in the logs");
        Assert.StartsWith("Up", p.Status(name, all: false));

        p.Ok("stop", "-t", "10", name);
        Assert.DoesNotContain(p.Ps(), c => c.Name == name);
        Assert.StartsWith("Exited (0)", p.Status(name));
        Assert.Equal("hello\nbye\n", p.Logs(name));

        p.Ok("rm", "-f", name);
        Assert.Null(p.Status(name));
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void RunInteractiveGetsATerminal(string rt)
    {
        var p = Src(rt);
        var name = Container(p, "it");
        var r = p.InTerminal("tty\nexit 7\n", ["run", "-it", "--rm", "--name", name, .. CidFile(), "--network", "none", E2EEnv.Image, "sh"]);
        Assert.Equal(7, r.ExitCode);
        Assert.Contains("/dev/pts/0\r\n", r.Stdout);
        Assert.DoesNotContain("not a tty", r.Stdout);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void ExecRunsInTheContainer(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "exec", "echo ready > /tmp/ready; while true; do sleep 0.1; done");
        // `run -d` returns once the container is started, not once its shell has run.
        Poll.Until(() => p.Run("exec", name, "test", "-s", "/tmp/ready").ExitCode == 0, "/tmp/ready");
        var r = p.Run("exec", name, "sh", "-c", "cat /tmp/ready; exit 5");
        Assert.Equal(5, r.ExitCode);
        Assert.Equal("ready\n", r.Stdout);
        // The exec'd process shares the container's pid namespace: it sees the container's init.
        var ps = p.Ok("exec", name, "cat", "/proc/1/cmdline").Stdout;
        Assert.StartsWith("sh\0-c\0echo ready", ps);
        // Environment and working directory options.
        Assert.Equal("v /etc\n", p.Ok("exec", "-e", "X=v", "-w", "/etc", name, "sh", "-c", "echo $X $(pwd)").Stdout);
        Assert.Equal(127, p.Run("exec", name, "no-such-command").ExitCode);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void ExecInteractiveGetsATerminal(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "execit", "while true; do sleep 0.1; done");
        var r = p.InTerminal("tty\nexit 4\n", "exec", "-it", name, "sh");
        Assert.Equal(4, r.ExitCode);
        Assert.Matches(@"/dev/pts/\d+\r\n", r.Stdout);
        Assert.DoesNotContain("not a tty", r.Stdout);
        Assert.StartsWith("Up", p.Status(name, all: false));
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void KillDeliversSignals(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "kill", "trap 'echo got-usr1' USR1; echo ready; while true; do sleep 0.1; done");
        Poll.Until(() => p.Logs(name).Contains("ready"), "the trap to be set");
        p.Ok("kill", "-s", "USR1", name);
        Poll.Until(() => p.Logs(name).Contains("got-usr1"), "USR1 to reach the trap");
        Assert.StartsWith("Up", p.Status(name, all: false));

        p.Ok("kill", name); // SIGKILL by default
        Poll.Until(() => p.Status(name)!.StartsWith("Exited"), "the container to exit");
        Assert.StartsWith("Exited (137)", p.Status(name));
        Assert.Equal(137, p.Inspect(name).GetProperty("State").GetProperty("ExitCode").GetInt32());
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void PauseFreezesAndUnpauseResumes(string rt)
    {
        var p = Src(rt);
        var name = StartCounter(p, "pause");
        p.Ok("pause", name);
        Assert.Equal("Paused", p.Status(name)); // `podman ps` lists only running containers, `ps -a` shows it Paused
        Assert.Equal("paused", p.Inspect(name).GetProperty("State").GetProperty("Status").GetString());
        Thread.Sleep(300); // a line already written may still reach the log
        var frozen = Counter.Last(p, name);
        Thread.Sleep(1500);
        Assert.Equal(frozen, Counter.Last(p, name));

        p.Ok("unpause", name);
        Assert.StartsWith("Up", p.Status(name, all: false));
        Counter.AssertContinued(p, name, frozen);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void TopListsTheContainerProcesses(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "top", "sleep 1000 & while true; do sleep 0.1; done");
        Poll.Until(() => p.Ok("top", name, "pid", "args").Stdout.Contains("sleep 1000"), "sleep 1000 in top");
        var lines = p.Ok("top", name, "pid", "args").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("PID", lines[0]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("1 ") && l.Contains("sh -c"));
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void StatsReportsUsage(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "stats", "sleep 1000 & while true; do sleep 0.1; done");
        Poll.Until(() => p.Ok("top", name, "pid", "args").Stdout.Contains("sleep 1000"), "sleep 1000");
        var stats = JsonDocument.Parse(p.Ok("stats", "--no-stream", "--format", "json", name).Stdout).RootElement;
        Assert.Equal(1, stats.GetArrayLength());
        var s = stats[0];
        Assert.Equal(name, s.GetProperty("name").GetString());
        Assert.True(int.Parse(s.GetProperty("pids").GetString()!) >= 2, s.ToString());
        Assert.DoesNotMatch(@"^0B\b", s.GetProperty("mem_usage").GetString()!);
        // The plain table too.
        Assert.Contains(name, p.Ok("stats", "--no-stream", name).Stdout);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void InspectShowsARunningContainer(string rt)
    {
        var p = Src(rt);
        var name = RunDetached(p, "inspect", "while true; do sleep 0.1; done");
        var state = p.Inspect(name).GetProperty("State");
        Assert.True(state.GetProperty("Running").GetBoolean());
        Assert.Equal("running", state.GetProperty("Status").GetString());
        var pid = state.GetProperty("Pid").GetInt32();
        Assert.True(pid > 0);
        // That pid is the container's init, seen from the host, in other namespaces than ours
        // (once it has exec'd: start returns a moment before).
        Poll.Until(() => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sh\0-c\0while true"), "the init's exec");
        foreach (var ns in new[] { "pid", "mnt", "net", "uts", "ipc" })
        {
            Assert.NotEqual(Proc.Run("readlink", $"/proc/self/ns/{ns}").Stdout, Proc.Run("readlink", $"/proc/{pid}/ns/{ns}").Stdout);
        }
    }
}
