using System.Text.Json;
using Ocirun.IntegrationTests.Harness;

namespace Ocirun.IntegrationTests;

public sealed class LifecycleTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    /// <summary>CVE-2019-5736: the init must not run from the host's binary, nor from anything writable.</summary>
    [Fact]
    public void TheInitRunsFromAnUnwritableCopyOfTheRuntime()
    {
        using var b = new Bundle("true");
        _rt.Ok("create", "--bundle", b.Dir, "c1");
        var pid = State("c1").GetProperty("pid").GetInt32();
        Assert.NotEqual(SealedExeTests.Identity(TestEnv.Bin), SealedExeTests.Identity($"/proc/{pid}/exe"));
        var write = Harness.Run.Program("sh", ["-c", $"echo x >> /proc/{pid}/exe"]);
        Assert.NotEqual(0, write.ExitCode);
        // Not "Text file busy": that any running binary says, a writable copy too.
        Assert.Matches("Read-only file system|Operation not permitted", write.Stderr);
    }

    [Fact]
    public void RunPrintsOutputAndPropagatesExitStatus()
    {
        using var b = new Bundle().Shell("echo hello from $$; exit 7");
        var r = _rt.Exec(["run", "--bundle", b.Dir, "c1"], null);
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("hello from 1\n", r.Stdout);
        Assert.Equal("", r.Stderr);
        Assert.Empty(_rt.Ids());
    }

    [Fact]
    public void RunReportsDeathBySignalAs128PlusN()
    {
        using var b = new Bundle("sleep", "300");
        using var run = _rt.Start("run", "--bundle", b.Dir, "c1");
        WaitFor(() => _rt.Exec("state", "c1").Stdout.Contains("running"));
        _rt.Ok("kill", "c1", "KILL");
        Assert.Equal(128 + 9, run.Wait(TimeSpan.FromSeconds(20)).ExitCode);
        Assert.Empty(_rt.Ids());
    }

    [Fact]
    public void RunForwardsSignalsToTheContainer()
    {
        // pid 1 ignores signals it has no handler for, hence the trap.
        using var b = new Bundle().Shell("trap 'echo got TERM; exit 42' TERM; echo ready; while true; do sleep 0.1; done");
        using var run = _rt.Start("run", "--bundle", b.Dir, "c1");
        WaitFor(() => run.StdoutSoFar.Contains("ready"));
        Assert.Equal(0, Harness.Run.Program("kill", ["-TERM", run.Pid.ToString()]).ExitCode);
        var r = run.Wait(TimeSpan.FromSeconds(20));
        Assert.Equal(42, r.ExitCode);
        Assert.Contains("got TERM", r.Stdout);
    }

    [Fact]
    public void CreateStartStateKillDelete()
    {
        using var b = new Bundle("sleep", "300");
        var pidFile = Path.Combine(b.Dir, "init.pid");
        _rt.Ok("create", "--bundle", b.Dir, "--pid-file", pidFile, "c1");
        var pidText = File.ReadAllText(pidFile);
        Assert.Matches("^[0-9]+$", pidText);

        var created = State("c1");
        Assert.Equal("created", created.GetProperty("status").GetString());
        Assert.Equal(int.Parse(pidText), created.GetProperty("pid").GetInt32());
        Assert.Equal(b.Dir, created.GetProperty("bundle").GetString());
        Assert.Equal(b.Rootfs, created.GetProperty("rootfs").GetString());
        Assert.True(DateTime.TryParse(created.GetProperty("created").GetString(), out _));
        // The init waits on the fifo: it has not exec'd sleep yet.
        Assert.DoesNotContain("sleep", File.ReadAllText($"/proc/{pidText}/cmdline"));

        _rt.Ok("start", "c1");
        Assert.Equal("running", State("c1").GetProperty("status").GetString());
        // start returns once the fifo is read; the exec follows a moment later, as with runc.
        WaitFor(() => File.ReadAllText($"/proc/{pidText}/cmdline").Contains("sleep"));
        var start2 = _rt.Exec("start", "c1");
        Assert.Equal(1, start2.ExitCode);
        Assert.Contains("cannot start an already running container", start2.Stderr);

        var deleteRunning = _rt.Exec("delete", "c1");
        Assert.Equal(1, deleteRunning.ExitCode);
        Assert.Contains("cannot delete container c1 that is not stopped: running", deleteRunning.Stderr);

        _rt.Ok("kill", "c1", "KILL");
        WaitFor(() => State("c1").GetProperty("status").GetString() == "stopped");
        Assert.Equal(0, State("c1").GetProperty("pid").GetInt32());
        var killStopped = _rt.Exec("kill", "c1");
        Assert.Contains("container not running", killStopped.Stderr);
        Assert.Equal(0, _rt.Exec("kill", "--all", "c1", "9").ExitCode);

        _rt.Ok("delete", "c1");
        Assert.Empty(_rt.Ids());
        var gone = _rt.Exec("state", "c1");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("container does not exist", gone.Stderr);
    }

    [Fact]
    public void DeleteOfCreatedContainerKillsItsInit()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("create", "--bundle", b.Dir, "c1");
        int pid = State("c1").GetProperty("pid").GetInt32();
        _rt.Ok("delete", "c1");
        Assert.Empty(_rt.Ids());
        WaitFor(() => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(" Z "));
    }

    [Fact]
    public void DeleteForceStopsARunningContainerAndRemovesItsCgroup()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var cgroup = "/sys/fs/cgroup/pids" + b.Spec.Linux!.CgroupsPath;
        Assert.True(Directory.Exists(cgroup));
        _rt.Ok("delete", "--force", "c1");
        Assert.False(Directory.Exists(cgroup));
        Assert.Equal(0, _rt.Exec("delete", "--force", "c1").ExitCode);
    }

    [Fact]
    public void DuplicateIdIsRejected()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("create", "--bundle", b.Dir, "c1");
        var r = _rt.Exec("create", "--bundle", b.Dir, "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("container with given ID already exists", r.Stderr);
        Assert.Single(_rt.Ids());
    }

    [Fact]
    public void ListShowsTableAndJson()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var table = _rt.Ok("list").Stdout.Split('\n');
        Assert.StartsWith("ID", table[0]);
        Assert.Contains("running", table[1]);
        var json = JsonDocument.Parse(_rt.Ok("list", "--format", "json").Stdout).RootElement;
        Assert.Equal("c1", json[0].GetProperty("id").GetString());
        Assert.Equal("root", json[0].GetProperty("owner").GetString());
        Assert.Equal("c1\n", _rt.Ok("list", "-q").Stdout);
    }

    [Fact]
    public void PsListsTheContainersProcesses()
    {
        using var b = new Bundle().Shell("sleep 300 & sleep 301");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        WaitFor(() => JsonSerializer.Deserialize<int[]>(_rt.Ok("ps", "--format", "json", "c1").Stdout)!.Length == 2);
        var table = _rt.Ok("ps", "c1").Stdout;
        Assert.Contains("PID", table.Split('\n')[0]);
        Assert.Contains("sleep 300", table);
        Assert.Contains("sleep 301", table);
    }

    [Fact]
    public void StateOfAZombieInitIsStoppedWithPidZero()
    {
        // The init exits at once; nobody reaps it while the test waits, so it stays a zombie
        // (its parent is this test process's runtime child, which has exited).
        using var b = new Bundle("true");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        WaitFor(() => State("c1").GetProperty("status").GetString() == "stopped");
        Assert.Equal(0, State("c1").GetProperty("pid").GetInt32());
    }

    private JsonElement State(string id) => JsonDocument.Parse(_rt.Ok("state", id).Stdout).RootElement;

    internal static void WaitFor(Func<bool> condition, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("condition not reached in time");
            }
            Thread.Sleep(20);
        }
    }
}
