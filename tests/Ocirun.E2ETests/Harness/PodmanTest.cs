namespace Ocirun.E2ETests.Harness;

/// <summary>
/// Base of the test classes: names containers and volumes uniquely and removes whatever a
/// test created (containers, volumes, host directories, extra hosts) when it ends, passed
/// or failed.
/// </summary>
[Collection("podman")]
public abstract class PodmanTest(PodmanFixture fixture) : IDisposable
{
    private readonly List<(Podman Podman, string Name)> _containers = [];
    private readonly List<(Podman Podman, string Name)> _volumes = [];
    private readonly List<IDisposable> _owned = [];
    private readonly List<string> _dirs = [];
    private readonly List<string> _cidFiles = [];

    protected PodmanFixture Fixture => fixture;

    protected Podman Src(string runtime) => fixture.Source.For(runtime);

    /// <summary>A container name for this test, removed at the end.</summary>
    protected string Container(Podman p, string tag)
    {
        var name = $"e2e-{tag}-{p.Runtime}-{Guid.NewGuid().ToString("n")[..6]}";
        _containers.Add((p, name));
        return name;
    }

    protected string Volume(Podman p, string tag)
    {
        var name = $"e2e-{tag}-{p.Runtime}-{Guid.NewGuid().ToString("n")[..6]}";
        _volumes.Add((p, name));
        return name;
    }

    /// <summary>A fresh host directory, removed at the end.</summary>
    protected string HostDir(string tag)
    {
        var dir = Path.Combine(E2EEnv.Base, $"{tag}-{Guid.NewGuid().ToString("n")[..8]}");
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        return dir;
    }

    /// <summary>
    /// `--cidfile PATH` options for a container that removes itself (`run --rm`), so that the
    /// end-of-test check still knows its ID.
    /// </summary>
    protected string[] CidFile()
    {
        var f = Path.Combine(_cidDir ??= HostDir("cid"), $"{_cidFiles.Count}.cid");
        _cidFiles.Add(f);
        return ["--cidfile", f];
    }

    private string? _cidDir;

    protected T Own<T>(T d) where T : IDisposable
    {
        _owned.Add(d);
        return d;
    }

    /// <summary>
    /// `podman run -d --network none [options] busybox sh -c SCRIPT` under a fresh name,
    /// and checks that Podman really used the runtime under test.
    /// </summary>
    protected string RunDetached(Podman p, string tag, string script, params string[] options)
    {
        var name = Container(p, tag);
        p.Ok(["run", "-d", "--name", name, "--network", "none", .. options, E2EEnv.Image, "sh", "-c", script]);
        Assert.Equal(p.Runtime, p.Inspect(name).GetProperty("OCIRuntime").GetString());
        return name;
    }

    /// <summary>A container that prints 0, 1, 2... ten times a second; returns once it has printed a few.</summary>
    protected string StartCounter(Podman p, string tag, params string[] options)
    {
        var name = RunDetached(p, tag, Counter.Loop, options);
        Counter.WaitForMore(p, name, -1, 5);
        return name;
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        // The IDs of everything this test made, to check afterwards that nothing is left.
        var ids = new List<string>();
        foreach (var h in _owned.OfType<PodmanHost>())
        {
            PodmanHost.Try(() => ids.AddRange(h.ContainerIds()));
        }
        foreach (var (p, name) in _containers)
        {
            PodmanHost.Try(() =>
            {
                var r = p.Run("inspect", "--format", "{{.Id}}", name);
                if (r.ExitCode == 0)
                {
                    ids.Add(r.Stdout.Trim());
                }
            });
        }

        foreach (var f in _cidFiles.Where(File.Exists))
        {
            ids.Add(File.ReadAllText(f).Trim());
        }

        // Other hosts first: a restored container may still use paths of its source container
        // (Podman 4.3 keeps the conmon pid file path of the checkpointed container).
        foreach (var d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
        foreach (var (p, name) in Enumerable.Reverse(_containers))
        {
            PodmanHost.Try(() => p.Run("rm", "-f", "-v", "-t", "0", name));
        }
        foreach (var (p, name) in _volumes)
        {
            PodmanHost.Try(() => p.Run("volume", "rm", "-f", name));
        }
        foreach (var dir in _dirs)
        {
            PodmanHost.Try(() => Directory.Delete(dir, recursive: true));
        }

        var leaked = Leaks.Find(ids);
        if (leaked.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"removed containers left runtime state or cgroups behind:\n{string.Join('\n', leaked)}");
        }
    }
}
