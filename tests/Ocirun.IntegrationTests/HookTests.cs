using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>OCI hooks: when each runs, where, with what input, and what a failure does.</summary>
public sealed class HookTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private readonly string _out = Directory.CreateTempSubdirectory("ocirun-it-hooks-").FullName;

    public void Dispose()
    {
        _rt.Dispose();
        Directory.Delete(_out, true);
    }

    /// <summary>A hook that records its name, its stdin and whether it sees the host's mount namespace.</summary>
    private Hook Recorder(string name, string? extra = null) => new()
    {
        Path = "/bin/sh",
        Args = ["sh", "-c", $"cat > {_out}/{name}.json; echo $HOOKVAR > {_out}/{name}.env; ls /proc/self/fd > {_out}/{name}.fds; " +
            $"readlink /proc/self/ns/mnt > {_out}/{name}.mnt; {extra}"],
        Env = ["HOOKVAR=" + name],
    };

    [Fact]
    public void AllHooksRunWithStateOnStdin()
    {
        // Hooks in the container's mount namespace need a /bin/sh there: busybox has one, and
        // the output directory is bind-mounted in at the same path.
        using var b = new Bundle("sleep", "300");
        b.Spec.Mounts!.Add(new Mount { Destination = _out, Type = "bind", Source = _out, Options = ["bind"] });
        b.Spec.Hooks = new Hooks
        {
            Prestart = [Recorder("prestart")],
            CreateRuntime = [Recorder("createRuntime")],
            CreateContainer = [Recorder("createContainer")],
            StartContainer = [Recorder("startContainer")],
            Poststart = [Recorder("poststart")],
            Poststop = [Recorder("poststop")],
        };
        b.Spec.Annotations = new() { ["hook.test"] = "yes" };
        b.Write();

        _rt.Ok("create", "--bundle", b.Dir, "c1");
        foreach (var h in new[] { "prestart", "createRuntime", "createContainer" })
        {
            Assert.True(File.Exists($"{_out}/{h}.json"), h);
        }
        Assert.False(File.Exists($"{_out}/startContainer.json"));
        _rt.Ok("start", "c1");
        LifecycleTests.WaitFor(() => File.Exists($"{_out}/startContainer.mnt") && File.Exists($"{_out}/poststart.mnt"));
        _rt.Ok("delete", "--force", "c1");
        Assert.True(File.Exists($"{_out}/poststop.json"));

        var hostMnt = new FileInfo("/proc/self/ns/mnt").LinkTarget + "\n";
        Assert.Equal(hostMnt, File.ReadAllText($"{_out}/createRuntime.mnt"));
        Assert.Equal(hostMnt, File.ReadAllText($"{_out}/poststart.mnt"));
        Assert.NotEqual(hostMnt, File.ReadAllText($"{_out}/createContainer.mnt"));
        Assert.NotEqual(hostMnt, File.ReadAllText($"{_out}/startContainer.mnt"));
        Assert.Equal("createRuntime\n", File.ReadAllText($"{_out}/createRuntime.env"));

        var state = JsonDocument.Parse(File.ReadAllText($"{_out}/poststart.json")).RootElement;
        Assert.Equal("c1", state.GetProperty("id").GetString());
        Assert.Equal(b.Dir, state.GetProperty("bundle").GetString());
        Assert.Equal("yes", state.GetProperty("annotations").GetProperty("hook.test").GetString());
        Assert.True(state.GetProperty("pid").GetInt32() > 0);
        Assert.Equal("stopped", JsonDocument.Parse(File.ReadAllText($"{_out}/poststop.json")).RootElement
            .GetProperty("status").GetString());
        // runc's states: creating until the container is created.
        foreach (var (h, status) in new[] { ("prestart", "creating"), ("createRuntime", "creating"), ("createContainer", "creating"),
            ("startContainer", "created"), ("poststart", "running") })
        {
            var doc = JsonDocument.Parse(File.ReadAllText($"{_out}/{h}.json")).RootElement;
            Assert.True(status == doc.GetProperty("status").GetString(), $"{h}: {doc}");
            Assert.Equal(b.Dir, doc.GetProperty("bundle").GetString());
            // stdin, stdout, stderr and the fd ls itself opens: nothing of the runtime's or the init's.
            Assert.True(File.ReadAllText($"{_out}/{h}.fds").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 4,
                $"{h} fds: {File.ReadAllText($"{_out}/{h}.fds")}");
        }
    }

    [Fact]
    public void AStartContainerHookWithoutEnvGetsTheProcessEnvironment()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Mounts!.Add(new Mount { Destination = _out, Type = "bind", Source = _out, Options = ["bind"] });
        b.Spec.Process!.Env = ["PATH=/bin:/usr/bin", "FROM_PROCESS=yes"];
        b.Spec.Hooks = new Hooks { StartContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"env > {_out}/start.env"] }] };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        LifecycleTests.WaitFor(() => File.Exists($"{_out}/start.env") && File.ReadAllText($"{_out}/start.env").Contains("PATH="));
        Assert.Contains("FROM_PROCESS=yes", File.ReadAllText($"{_out}/start.env"));
    }

    [Fact]
    public void AFailingCreateRuntimeHookFailsCreateAndLeavesNothing()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/false" }] };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "error running createRuntime hook #0");
    }

    [Fact]
    public void AFailingStartContainerHookIsReportedOnTheContainersStderr()
    {
        // After `start` the parent is gone: runc's init writes the error to its stderr, which
        // a foreground `run` relays; the user process never runs.
        using var b = new Bundle("echo", "user-process-ran");
        b.Spec.Hooks = new Hooks { StartContainer = [new Hook { Path = "/bin/true" }, new Hook { Path = "/bin/false" }] };
        b.Write();
        var r = _rt.Exec("run", "--bundle", b.Dir, "c1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("error running startContainer hook #1: exit status 1", r.Stderr);
        Assert.DoesNotContain("user-process-ran", r.Stdout);
    }

    [Fact]
    public void AHookThatOverrunsItsTimeoutIsKilled()
    {
        using var b = new Bundle("true");
        b.Spec.Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/sleep", Args = ["sleep", "30"], Timeout = 1 }] };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "timeout", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void AProcessAHookLeavesBehindDoesNotHoldUpTheRuntime()
    {
        // Its stdout and stderr are still the hook's pipes: they are read until the hook exits,
        // not until every holder has closed them (runc waits for that).
        var pidFile = Path.Combine(_out, "left.pid");
        using var b = new Bundle("true");
        b.Spec.Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"sleep 600 & echo $! > {pidFile}"] }] };
        b.Write();
        try
        {
            var r = _rt.Exec(["run", "--bundle", b.Dir, "c1"], TimeSpan.FromSeconds(60));
            Assert.Equal((0, ""), (r.ExitCode, r.Stderr));
        }
        finally
        {
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out var pid))
            {
                Run.Program("kill", ["-9", pid.ToString()]);
            }
        }
    }
}
