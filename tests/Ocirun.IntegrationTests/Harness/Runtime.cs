namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// The ocirun binary with a state root of its own. Dispose deletes every container left in
/// that root (even after a failed test) and checks that nothing leaked.
/// </summary>
public sealed class Runtime : IDisposable
{
    public Runtime()
    {
        Root = Path.Combine("/run/ocirun-it", Guid.NewGuid().ToString("n")[..12]);
    }

    public string Root { get; }

    public CommandResult Exec(params string[] args) => Exec(args, null);

    public CommandResult Exec(IEnumerable<string> args, TimeSpan? timeout, string? stdin = null,
        IDictionary<string, string>? env = null, bool clearEnv = false, string? cwd = null) =>
        Harness.Run.Program(TestEnv.Bin, new[] { "--root", Root }.Concat(args), timeout, env, clearEnv, stdin, cwd);

    public RunningCommand Start(params string[] args) =>
        Harness.Run.Start(TestEnv.Bin, new[] { "--root", Root }.Concat(args));

    public CommandResult Ok(params string[] args) => Exec(args).EnsureSuccess();

    /// <summary>
    /// `run -d`, then waits until the init has exec'd the container's program: `run` returns
    /// once the exec fifo is read, a moment before the exec, as runc's does.
    /// </summary>
    public int RunDetached(string bundleDir, string id, string program, params string[] globalFlags)
    {
        Ok([.. globalFlags, "run", "-d", "--bundle", bundleDir, id]);
        int pid = System.Text.Json.JsonDocument.Parse(Ok("state", id).Stdout).RootElement.GetProperty("pid").GetInt32();
        LifecycleTests.WaitFor(() => File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[0].EndsWith(program));
        return pid;
    }

    /// <summary>`create` fails with message, and leaves no container, state or cgroup behind.</summary>
    public void AssertCreateFailsCleanly(Bundle b, string message, TimeSpan? timeout = null)
    {
        var r = Exec(["create", "--bundle", b.Dir, "c1"], timeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Empty(Ids());
        // Every hierarchy: /sys/fs/cgroup itself on a cgroup2-only host, each directory in it otherwise.
        var roots = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : Directory.GetDirectories("/sys/fs/cgroup");
        Assert.All(roots, root => Assert.False(Directory.Exists(root + b.Spec.Linux!.CgroupsPath), root));
    }

    public List<string> Ids() => Directory.Exists(Root)
        ? Ok("list", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList()
        : new List<string>();

    public void Dispose()
    {
        foreach (var id in Ids())
        {
            Exec("delete", "--force", id);
        }
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
