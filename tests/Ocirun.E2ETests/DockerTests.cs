using Ocirun.E2ETests.Harness;
using Xunit;

namespace Ocirun.E2ETests;

/// <summary>
/// Docker (Debian's docker.io, through its managed containerd and the runc shim) with ocirun
/// as a registered runtime, each case side by side with runc on the same daemon: run, exec,
/// update (memory, then cpus, then pids), pause, stats, checkpoint create and start
/// --checkpoint of a counter that continues. Containers only with --network none.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerTests(DockerFixture docker) : IDisposable
{
    private readonly List<string> _names = [];

    public void Dispose()
    {
        foreach (var name in _names)
        {
            docker.Docker("rm", "-f", name);
        }
    }

    private string Counter(string runtime)
    {
        var name = $"ocirun-e2e-{runtime}-{Guid.NewGuid().ToString("n")[..8]}";
        _names.Add(name);
        var id = docker.DockerOk("run", "-d", "--runtime", runtime, "--network", "none", "--name", name, DockerFixture.Image,
            "sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done").Stdout.Trim();
        Poll.Until(() => Numbers(name).Count >= 2, "the counter to print");
        return id;
    }

    private List<long> Numbers(string name) =>
        docker.DockerOk("logs", name).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();

    [Theory]
    [InlineData("runc")]
    [InlineData("ocirun")]
    public void RunExecUpdatePauseAndStats(string runtime)
    {
        var id = Counter(runtime);
        var name = _names[^1];
        Assert.Equal("hi\n", docker.DockerOk("exec", name, "echo", "hi").Stdout);

        docker.DockerOk("update", "--memory", "64m", "--memory-swap", "128m", name);
        Assert.Equal((64L << 20).ToString(), docker.CgroupFile("memory", id, "memory.limit_in_bytes"));
        Assert.Equal((128L << 20).ToString(), docker.CgroupFile("memory", id, "memory.memsw.limit_in_bytes"));
        // Docker sends the memory values it does not change as zeros again: they must stay.
        docker.DockerOk("update", "--cpus", "0.5", name);
        Assert.Equal("50000", docker.CgroupFile("cpu", id, "cpu.cfs_quota_us"));
        Assert.Equal((64L << 20).ToString(), docker.CgroupFile("memory", id, "memory.limit_in_bytes"));
        docker.DockerOk("update", "--pids-limit", "50", name);
        Assert.Equal("50", docker.CgroupFile("pids", id, "pids.max"));

        docker.DockerOk("pause", name);
        Assert.Equal("paused", docker.DockerOk("inspect", "-f", "{{.State.Status}}", name).Stdout.Trim());
        var frozen = Numbers(name).Count;
        Thread.Sleep(600);
        Assert.Equal(frozen, Numbers(name).Count);
        docker.DockerOk("unpause", name);
        Poll.Until(() => Numbers(name).Count > frozen + 1, "the counter to go on after unpause");

        var stats = docker.DockerOk("stats", "--no-stream", "--format", "{{.MemUsage}}|{{.PIDs}}", name).Stdout.Trim().Split('|');
        Assert.EndsWith("64MiB", stats[0]);
        Assert.True(int.Parse(stats[1]) >= 1, $"PIDs {stats[1]}");
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("ocirun")]
    public void CheckpointAndStartFromItContinuesTheCounter(string runtime)
    {
        var id = Counter(runtime);
        var name = _names[^1];
        docker.DockerOk("checkpoint", "create", name, "cp1");
        // dockerd unpacks the checkpoint from a blob containerd keeps until its next garbage
        // collection, and `start --checkpoint` uploads it packed again: byte for byte the same
        // blob, which this dockerd refuses as "already exists" (moby/moby#42900, whatever the
        // runtime). A newer mtime on one image changes the packing, not the images.
        var images = Path.Combine(docker.Dir, "data", "containers", id, "checkpoints", "cp1");
        var first = Directory.EnumerateFiles(images).Order().First();
        File.SetLastWriteTimeUtc(first, File.GetLastWriteTimeUtc(first).AddSeconds(1));
        Assert.Equal("exited", docker.DockerOk("inspect", "-f", "{{.State.Status}}", name).Stdout.Trim());
        var atCheckpoint = Numbers(name);
        docker.DockerOk("start", "--checkpoint", "cp1", name);
        Poll.Until(() => Numbers(name).Count > atCheckpoint.Count + 2, "the restored counter to print");
        var after = Numbers(name);
        // Restored, not restarted: the numbers go on from the last one before the checkpoint.
        Assert.Equal(atCheckpoint[^1] + 1, after[atCheckpoint.Count]);
        Assert.Equal(Enumerable.Range(0, after.Count).Select(i => (long)i), after);
    }
}
