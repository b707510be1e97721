using System.Text.Json;
using Xunit;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// One container of a test, created through ctr with --runc-binary pointing at the runtime
/// under test. Dispose removes its task, the container and its checkpoint images whatever
/// state the test left them in; <see cref="AssertGone"/> checks that the runtime cleaned up.
/// </summary>
public sealed class ContainerdContainer : IDisposable
{
    private readonly ContainerdFixture ctrd;
    private readonly List<string> images = new();
    private int execs;

    public ContainerdContainer(ContainerdFixture ctrd, string runtime, string name)
    {
        this.ctrd = ctrd;
        Runtime = runtime;
        Binary = ContainerdFixture.RuntimeBinary(runtime);
        Id = $"{runtime}-{name}-{Guid.NewGuid().ToString("n")[..6]}";
    }

    public string Runtime { get; }

    public string Binary { get; }

    public string Id { get; }

    /// <summary>`ctr run --rm` in the foreground: returns the container's exit code and output.</summary>
    public ContainerdResult RunForeground(params string[] args) =>
        ctrd.Ctr(new[] { "run", "--rm", "--fifo-dir", ctrd.FifoDir, "--runc-binary", Binary, ContainerdFixture.Image, Id }.Concat(args), null);

    /// <summary>`ctr run -d`: returns once the task is started.</summary>
    public void RunDetached(params string[] args) =>
        ctrd.Ctr(new[] { "run", "-d", "--fifo-dir", ctrd.FifoDir, "--runc-binary", Binary, ContainerdFixture.Image, Id }.Concat(args), null)
            .EnsureSuccess(ctrd.DaemonLogTail());

    public ContainerdResult Exec(params string[] args) =>
        ctrd.Ctr(new[] { "task", "exec", "--fifo-dir", ctrd.FifoDir, "--exec-id", $"e{++execs}", Id }.Concat(args), null);

    /// <summary>`ctr task exec -d`: returns once the process is started.</summary>
    public void ExecDetached(string execId, params string[] args) =>
        ctrd.Ctr(new[] { "task", "exec", "-d", "--fifo-dir", ctrd.FifoDir, "--exec-id", execId, Id }.Concat(args), null)
            .EnsureSuccess(ctrd.DaemonLogTail());

    public string? Status => ctrd.Task(Id)?.Status;

    public int Pid => ctrd.Task(Id)?.Pid ?? throw new Xunit.Sdk.XunitException($"no task {Id}");

    public void WaitForStatus(string status, TimeSpan? timeout = null) =>
        ContainerdFixture.WaitFor(() => Status == status, timeout ?? TimeSpan.FromSeconds(15),
            $"task {Id} to be {status} (it is {Status ?? "gone"})");

    /// <summary>A file in the task's rootfs, read from the host (works while the task is paused).</summary>
    public string? ReadFile(string pathInContainer)
    {
        try
        {
            return File.ReadAllText(Path.Combine(ctrd.TaskRootfs(Id), pathInContainer.TrimStart('/')));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>`RUNTIME --root /run/containerd/runc/NS state ID`, asked of the runtime under test itself.</summary>
    public (string Status, int Pid) RuntimeState()
    {
        var r = ContainerdRun.Program(Binary, ["--root", ctrd.RuntimeRoot, "state", Id]).EnsureSuccess();
        using var doc = JsonDocument.Parse(r.Stdout);
        return (doc.RootElement.GetProperty("status").GetString()!, doc.RootElement.GetProperty("pid").GetInt32());
    }

    public string Checkpoint(string tag)
    {
        var image = $"ocirun-e2e/{Id}:{tag}";
        images.Add(image);
        ctrd.Ctr(["containers", "checkpoint", "--task", "--image", "--rw", Id, image], TimeSpan.FromSeconds(120))
            .EnsureSuccess(ctrd.DaemonLogTail());
        return image;
    }

    public void Restore(string image) =>
        ctrd.Ctr(["containers", "restore", "--live", "--rw", Id, image], TimeSpan.FromSeconds(120))
            .EnsureSuccess(ctrd.DaemonLogTail());

    /// <summary>Kills the task and removes task and container, as a user would.</summary>
    public void KillAndRemove()
    {
        if (Status is not null)
        {
            ctrd.CtrOk("task", "kill", "-s", "SIGKILL", Id);
            WaitForStatus("STOPPED");
            ctrd.CtrOk("task", "rm", Id);
        }
        ctrd.CtrOk("containers", "rm", Id);
    }

    /// <summary>Checks that no trace of the container is left: containerd's record, runtime state, cgroup, mounts.</summary>
    public void AssertGone()
    {
        Assert.DoesNotContain(Id, ctrd.Containers());
        Assert.False(Directory.Exists(Path.Combine(ctrd.RuntimeRoot, Id)),
            $"{Runtime} left its state directory {Path.Combine(ctrd.RuntimeRoot, Id)}");
        Assert.Empty(ctrd.CgroupDirs(Id));
        var rootfs = ctrd.TaskRootfs(Id);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == rootfs);
    }

    public void Dispose()
    {
        try
        {
            var status = Status;
            if (status == "PAUSED")
            {
                ctrd.Ctr("task", "resume", Id);
            }
            if (status is not null)
            {
                ctrd.Ctr("task", "kill", "-s", "SIGKILL", Id);
                try
                {
                    WaitForStatus("STOPPED", TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                }
                ctrd.Ctr("task", "rm", "-f", Id);
            }
            ctrd.Ctr("containers", "rm", Id);
            if (images.Count > 0)
            {
                ctrd.Ctr(new[] { "images", "rm", "--sync" }.Concat(images), null);
            }
        }
        catch (Exception)
        {
            // The fixture sweeps the namespace at the end and reports what was left.
        }
    }
}
