using Ocirun.E2ETests.Harness;
using Xunit;

namespace Ocirun.E2ETests;

/// <summary>
/// containerd 1.6 (through ctr and its io.containerd.runc.v2 shim) driving the runtime given
/// by --runc-binary. Every test runs against ocirun and, as the reference, runc.
/// </summary>
[Collection(ContainerdCollection.Name)]
public sealed class ContainerdTests(ContainerdFixture ctrd)
{
    public static TheoryData<string> Runtimes => new() { "ocirun", "runc" };

    /// <summary>Appends 1, 2, 3, … to /tmp/log, one line every 0.1 s.</summary>
    private const string Counter = "i=0; while :; do i=$((i+1)); echo $i >> /tmp/log; sleep 0.1; done";

    [Fact]
    public void TheReadmesCtrBlockRunsAsItStands()
    {
        // ctr takes the daemon and namespace from the environment; the block imports the archive it names.
        var dir = Path.Combine(ctrd.Dir, "readme");
        Directory.CreateDirectory(dir);
        DockerArchive.Write(Path.Combine(dir, "busybox"), Environment.GetEnvironmentVariable("OCIRUN_ROOTFS")!, "localhost/busybox:latest", cmd: ["sh"]);
        try
        {
            var r = Ocirun.Tests.Shared.ProgramRunner.Run("sh", ["-euc", Ocirun.Tests.Shared.ReadmeBlock.Get("ctr", ContainerdFixture.RuntimeBinary("ocirun"))],
                TimeSpan.FromMinutes(2), new Ocirun.Tests.Shared.ProgramOptions
                {
                    Cwd = dir,
                    Env = new Dictionary<string, string> { ["CONTAINERD_ADDRESS"] = ctrd.Socket, ["CONTAINERD_NAMESPACE"] = ctrd.Namespace },
                }).EnsureSuccess(ctrd.DaemonLogTail());
            Assert.EndsWith("hello from ocirun\n", r.Stdout);
            Assert.DoesNotContain("demo1", ctrd.Containers());
        }
        finally
        {
            ctrd.Ctr("images", "rm", "--sync", "localhost/busybox:latest");
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void RunRm_PropagatesExitCodeAndOutput(string runtime)
    {
        using var c = new ContainerdContainer(ctrd, runtime, "exit");
        var r = c.RunForeground("sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 4");
        Assert.True(r.ExitCode == 4, r.ToString());
        Assert.True(r.Stdout == "to-stdout\n" && r.Stderr.Contains("to-stderr"), r.ToString());
        c.AssertGone();

        using var ok = new ContainerdContainer(ctrd, runtime, "exit0");
        r = ok.RunForeground("sh", "-c", "echo fine");
        Assert.True(r.ExitCode == 0 && r.Stdout == "fine\n", r.ToString());
        ok.AssertGone();
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void AFailingCreateOrExecShowsTheRuntimesOwnMessage(string runtime)
    {
        // The shim gives the runtime read-only /dev/null as stdio and reads the error from
        // --log (JSON lines): containerd must show the runtime's message, not "unable to
        // retrieve OCI runtime error".
        using var c = new ContainerdContainer(ctrd, runtime, "nocmd");
        var r = c.RunForeground("/no/such/program");
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("unable to retrieve OCI runtime error", r.Stderr);
        Assert.True(r.Stderr.Contains("/no/such/program") && r.Stderr.Contains("no such file or directory"), r.ToString());

        using var d = new ContainerdContainer(ctrd, runtime, "noexec");
        d.RunDetached("sleep", "300");
        var e = d.Exec("/no/such/helper");
        Assert.NotEqual(0, e.ExitCode);
        Assert.DoesNotContain("unable to retrieve OCI runtime error", e.Stderr);
        Assert.True(e.Stderr.Contains("/no/such/helper") && e.Stderr.Contains("no such file or directory"), e.ToString());
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void Detached_ExecListKillRemove(string runtime)
    {
        using var c = new ContainerdContainer(ctrd, runtime, "detach");
        c.RunDetached("sh", "-c", "trap 'exit 7' TERM; echo up > /tmp/ready; while :; do sleep 0.1; done");
        Assert.Equal("RUNNING", c.Status);
        var pid = c.Pid;
        Assert.Equal(("running", pid), c.RuntimeState());
        ContainerdFixture.WaitFor(() => c.ReadFile("/tmp/ready") == "up\n", TimeSpan.FromSeconds(10), "/tmp/ready");

        var r = c.Exec("cat", "/tmp/ready");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("up\n", r.Stdout);

        r = c.Exec("sh", "-c", "echo exec-out; echo exec-err >&2; exit 3");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.True(r.Stdout == "exec-out\n" && r.Stderr.Contains("exec-err"), r.ToString());

        // The exec runs in the container's namespaces: pid 1 there is the init.
        r = c.Exec("sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("sh -c trap", r.Stdout);

        ctrd.CtrOk("task", "kill", c.Id);  // SIGTERM, which the init traps
        c.WaitForStatus("STOPPED");
        r = ctrd.Ctr("task", "rm", c.Id);
        Assert.True(r.ExitCode is 0 or 7, r.ToString());
        Assert.Null(c.Status);
        ContainerdFixture.WaitFor(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(5), $"init {pid} to be reaped");
        ctrd.CtrOk("containers", "rm", c.Id);
        c.AssertGone();
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void PauseResume_FreezesAndThawsTheCounter(string runtime)
    {
        using var c = new ContainerdContainer(ctrd, runtime, "pause");
        c.RunDetached("sh", "-c", Counter);
        ContainerdFixture.WaitFor(() => Last(c.ReadFile("/tmp/log")) >= 3, TimeSpan.FromSeconds(15), "counter ≥ 3");

        ctrd.CtrOk("task", "pause", c.Id);
        Assert.Equal("PAUSED", c.Status);
        Assert.Equal("paused", c.RuntimeState().Status);
        var frozen = Last(c.ReadFile("/tmp/log"));
        Thread.Sleep(1000);
        Assert.Equal(frozen, Last(c.ReadFile("/tmp/log")));

        ctrd.CtrOk("task", "resume", c.Id);
        Assert.Equal("RUNNING", c.Status);
        Assert.Equal("running", c.RuntimeState().Status);
        ContainerdFixture.WaitFor(() => Last(c.ReadFile("/tmp/log")) >= frozen + 3, TimeSpan.FromSeconds(10),
            $"counter to pass {frozen + 3} after resume");
        AssertConsecutive(c.ReadFile("/tmp/log"));

        c.KillAndRemove();
        c.AssertGone();
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void CheckpointRestore_CounterContinues(string runtime)
    {
        using var c = new ContainerdContainer(ctrd, runtime, "ckpt");
        c.RunDetached("sh", "-c", Counter);
        // At 0.1 s a step, a counter restarted from scratch needs 2 s to get back to 20.
        ContainerdFixture.WaitFor(() => Last(c.ReadFile("/tmp/log")) >= 20, TimeSpan.FromSeconds(20), "counter ≥ 20");

        var image = c.Checkpoint("1");
        Assert.Equal("RUNNING", c.Status);  // checkpoint without --exit leaves the task running
        var r = c.Exec("tail", "-n", "1", "/tmp/log");
        Assert.True(r.ExitCode == 0, r.ToString());
        var atCheckpoint = long.Parse(r.Stdout.Trim());
        Assert.True(atCheckpoint >= 20, $"counter read after the checkpoint is {atCheckpoint}");

        c.KillAndRemove();
        c.AssertGone();

        c.Restore(image);
        Assert.Equal("RUNNING", c.Status);
        Assert.Equal(("running", c.Pid), c.RuntimeState());
        r = c.Exec("tail", "-n", "1", "/tmp/log");
        Assert.True(r.ExitCode == 0, r.ToString());
        var first = long.Parse(r.Stdout.Trim());
        // The restored process goes on from the value it had when it was dumped (the task was
        // paused for the dump, so that is at most what we read after it), not from 1.
        Assert.True(first >= 20, $"first value after restore is {first}, checkpointed at ≤ {atCheckpoint}");
        ContainerdFixture.WaitFor(() => Last(c.ReadFile("/tmp/log")) > atCheckpoint, TimeSpan.FromSeconds(15),
            $"counter to pass {atCheckpoint} after restore");
        // The rw layer came back as it was at the dump and the restored shell appended to it:
        // one unbroken 1, 2, 3, … sequence, no restart at 1 in the middle.
        r = c.Exec("cat", "/tmp/log");
        Assert.True(r.ExitCode == 0, r.ToString());
        AssertConsecutive(r.Stdout);

        c.KillAndRemove();
        c.AssertGone();
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void TaskPs_ListsEveryProcessOfTheContainer(string runtime)
    {
        using var c = new ContainerdContainer(ctrd, runtime, "ps");
        c.RunDetached("sh", "-c", "sleep 1000 & sleep 1001 & echo up > /tmp/ready; wait");
        ContainerdFixture.WaitFor(() => c.ReadFile("/tmp/ready") == "up\n", TimeSpan.FromSeconds(10), "/tmp/ready");
        var init = c.Pid;
        var execPid = 0;
        c.ExecDetached("sleeper", "sleep", "1002");

        // Host view: the init, its two children and the exec'd sleep, all in the init's cgroup.
        var cgroup = File.ReadAllText($"/proc/{init}/cgroup");
        ContainerdFixture.WaitFor(() =>
        {
            execPid = HostPids().FirstOrDefault(p => Cmdline(p) == "sleep 1002" && Cgroup(p) == cgroup);
            return execPid != 0;
        }, TimeSpan.FromSeconds(10), "the exec'd sleep");
        var children = File.ReadAllText($"/proc/{init}/task/{init}/children")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal(2, children.Count);
        var expected = new SortedSet<int>(children) { init, execPid };

        var r = ctrd.CtrOk("task", "ps", c.Id);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("PID", lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        var listed = new SortedSet<int>(lines.Skip(1).Select(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])));
        Assert.Equal(expected, listed);
        // The shim matches the runtime's pids against its exec processes and names them.
        Assert.Contains(lines, l => l.StartsWith(execPid.ToString() + " ", StringComparison.Ordinal) && l.Contains("sleeper"));

        c.KillAndRemove();
        c.AssertGone();
    }

    private static long Last(string? log) => Values(log).LastOrDefault();

    /// <summary>The complete lines of a counter log (a line still being written is left out).</summary>
    private static List<long> Values(string? log)
    {
        if (string.IsNullOrEmpty(log))
        {
            return new List<long>();
        }
        var complete = log.EndsWith('\n') ? log : log[..(log.LastIndexOf('\n') + 1)];
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();
    }

    private static void AssertConsecutive(string? log)
    {
        var values = Values(log);
        Assert.NotEmpty(values);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] != i + 1)
            {
                Assert.Fail($"counter log breaks at line {i + 1}: {string.Join(',', values.Skip(Math.Max(0, i - 3)).Take(8))}");
            }
        }
    }

    private static IEnumerable<int> HostPids() =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!));

    private static string Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string Cgroup(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cgroup");
        }
        catch (IOException)
        {
            return "";
        }
    }
}
