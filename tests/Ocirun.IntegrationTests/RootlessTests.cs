using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Container;
using Ocirun.Spec;
using Ocirun.Tests.Shared;

namespace Ocirun.IntegrationTests;

/// <summary>One non-root user (with subordinate ids) for the class.</summary>
public sealed class RootlessUserFixture : IDisposable
{
    public RootlessUser User { get; } = new("ocirun-rl", Scratch.NewDirectory("rootless-"), 300000);

    public void Dispose() => User.Dispose();
}

/// <summary>
/// ocirun run by a non-root user, side by side with runc 1.3.6 run by the same user on the same
/// bundles: `spec --rootless` bundles, state in $XDG_RUNTIME_DIR, cgroups skipped where the user
/// may not write them and used in a subtree delegated to it, newuidmap for subordinate ranges,
/// and runc's errors for what a rootless caller cannot have.
/// </summary>
public sealed class RootlessTests(RootlessUserFixture fixture) : IClassFixture<RootlessUserFixture>, IDisposable
{
    private readonly RootlessUser _user = fixture.User;
    private readonly List<string> _dirs = [];
    private readonly List<string> _cgroups = [];

    private CommandResult Ocirun(params string[] args) => _user.Run(TestEnv.Bin, args);

    private CommandResult Runc(params string[] args) => _user.Run(TestEnv.Runc13, args);

    private static string Id() => "rl" + Guid.NewGuid().ToString("n")[..8];

    /// <summary>A bundle of the user's own: `ocirun spec --rootless` run as the user, then edited.</summary>
    private string NewBundle(Action<Spec.Model.Spec> edit)
    {
        var dir = Path.Combine(_user.Home, "b" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        Run.Program("cp", ["-a", TestEnv.Rootfs, Path.Combine(dir, "rootfs")]).EnsureSuccess();
        _user.Own(dir);
        _user.Run(TestEnv.Bin, ["spec", "--rootless"], cwd: dir).EnsureSuccess();
        var spec = SpecJson.ParseSpec(File.ReadAllText(Path.Combine(dir, "config.json")));
        spec.Process!.Terminal = false;
        edit(spec);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec));
        return dir;
    }

    private string Shell(string script) => NewBundle(s => s.Process!.Args = ["sh", "-c", script]);

    public void Dispose()
    {
        foreach (var (bin, root) in new[] { (TestEnv.Bin, Path.Combine(_user.XdgRuntimeDir, "ocirun")), (TestEnv.Runc13, Path.Combine(_user.XdgRuntimeDir, "runc")) })
        {
            foreach (var id in Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName) : [])
            {
                _user.Run(bin, ["delete", "--force", id!]);
            }
        }
        foreach (var d in _dirs)
        {
            Directory.Delete(d, recursive: true);
        }
        foreach (var c in _cgroups.AsEnumerable().Reverse())
        {
            Run.Program("sh", ["-c", $"rmdir {c}/*/ {c}"]);
        }
    }

    [Fact]
    public void RunsWithTheUsersOwnIdsAsRuncDoes()
    {
        var b = Shell("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; echo pid $$");
        var ours = Ocirun("run", "--bundle", b, Id()).EnsureSuccess();
        var runcs = Runc("run", "--bundle", b, Id()).EnsureSuccess();
        Assert.Equal(runcs.Stdout, ours.Stdout);
        Assert.Matches($@"^\s*0\s+{_user.Uid}\s+1\n\s*0\s+{_user.Gid}\s+1\n0\n0\npid 1\n$", ours.Stdout);
    }

    [Fact]
    public void TheReadmesRootlessBlockRunsAsItStands()
    {
        // `ocirun` on the user's PATH is the binary under test; the block makes its own bundle.
        var dir = Path.Combine(_user.Home, "readme-" + Guid.NewGuid().ToString("n")[..8]);
        _dirs.Add(dir);
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        Directory.CreateDirectory(Path.Combine(dir, "bundle"));
        File.CreateSymbolicLink(Path.Combine(dir, "bin", "ocirun"), TestEnv.Bin);
        Run.Program("cp", ["-a", TestEnv.Rootfs, Path.Combine(dir, "bundle", "rootfs")]).EnsureSuccess();
        _user.Own(dir);
        var r = _user.Run("sh", ["-euc", ReadmeBlock.Get("rootless-ocirun", TestEnv.Bin)], cwd: dir,
            env: new Dictionary<string, string> { ["PATH"] = Path.Combine(dir, "bin") + ":/usr/bin:/bin:/usr/sbin:/sbin" }).EnsureSuccess();
        Assert.Matches($@"^0
\s*0\s+{_user.Uid}\s+1
$", r.Stdout);
    }

    [Fact]
    public void InsideTheCallersUserNamespaceDevicesAreBoundAsRuncDoes()
    {
        // Rootless Podman's way: the runtime runs as root of a user namespace Podman made, and
        // the spec asks for no user namespace of its own; mknod is refused there.
        var b = NewBundle(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "user");
            s.Linux.UidMappings = null;
            s.Linux.GidMappings = null;
            s.Process!.Args = ["sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && id -u"];
        });
        CommandResult InUserns(string bin) => _user.Run("unshare", ["--user", "--map-root-user", "--mount", bin, "run", "--bundle", b, Id()]);
        var runcs = InUserns(TestEnv.Runc13).EnsureSuccess();
        var ours = InUserns(TestEnv.Bin).EnsureSuccess();
        Assert.Equal(runcs.Stdout, ours.Stdout);
        Assert.Equal("4\n0\n", ours.Stdout);
    }

    [Fact]
    public void TheLifecycleWorksWithoutCgroupsAndStateIsInXdgRuntimeDir()
    {
        var id = Id();
        var b = NewBundle(s => s.Process!.Args = ["sleep", "300"]);
        var create = Ocirun("--debug", "create", "--bundle", b, id).EnsureSuccess();
        // One --debug line says which cgroups were skipped; none of them was made.
        Assert.Single(create.Stderr.Split('\n'), l => l.Contains("rootless: no permission for the container's cgroup"));
        Assert.All(Directory.GetDirectories("/sys/fs/cgroup"), h => Assert.False(Directory.Exists(Path.Combine(h, id)), h));
        var stateDir = Path.Combine(_user.XdgRuntimeDir, "ocirun", id);
        Assert.True(Directory.Exists(stateDir), stateDir);
        Assert.Contains(_user.Name, Ocirun("list").EnsureSuccess().Stdout);

        Ocirun("start", id).EnsureSuccess();
        Assert.Contains("\"running\"", Ocirun("state", id).EnsureSuccess().Stdout);
        Assert.Equal("0\n", Ocirun("exec", id, "id", "-u").EnsureSuccess().Stdout);
        // Nothing lists a cgroup-less container's processes: an error, not an empty table.
        var ps = Ocirun("ps", id);
        Assert.Equal(1, ps.ExitCode);
        Assert.Contains("unable to get all container pids", ps.Stderr);
        // kill --all reaches the init, and through its pid namespace the rest.
        int pid = JsonDocument.Parse(Ocirun("state", id).Stdout).RootElement.GetProperty("pid").GetInt32();
        Ocirun("kill", "--all", id, "KILL").EnsureSuccess();
        LifecycleTests.WaitFor(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "));
        LifecycleTests.WaitFor(() => Ocirun("state", id).Stdout.Contains("\"stopped\""));
        Ocirun("delete", id).EnsureSuccess();
        Assert.False(Directory.Exists(stateDir));
    }

    [Fact]
    public void ALimitWithoutACgroupFailsInRuncsWordsAndLeavesNothing()
    {
        var b = NewBundle(s => s.Linux!.Resources = new Spec.Model.Resources { Pids = new Spec.Model.PidsResources { Limit = 100 } });
        var ours = Ocirun("run", "--bundle", b, Id());
        var runcs = Runc("run", "--bundle", b, Id());
        const string message = "cannot set pids limit: container could not join or create cgroup";
        Assert.Contains(message, runcs.Stderr);
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains(message, ours.Stderr);
        Assert.Equal("", Ocirun("list", "-q").EnsureSuccess().Stdout);
    }

    [Fact]
    public void AGivenCgroupsPathWithoutPermissionIsAnError()
    {
        var b = NewBundle(s => s.Linux!.CgroupsPath = "/ocirun-rl-denied-" + Guid.NewGuid().ToString("n")[..6]);
        var ours = Ocirun("run", "--bundle", b, Id());
        var runcs = Runc("run", "--bundle", b, Id());
        foreach (var r in new[] { ours, runcs })
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Matches("unable to apply cgroup configuration: .*permission denied", r.Stderr);
        }
        Assert.Equal("", Ocirun("list", "-q").EnsureSuccess().Stdout);
    }

    [Fact]
    public void RootlessFalseMakesTheCgroupErrorFatal()
    {
        var b = Shell("true");
        var r = Ocirun("--rootless", "false", "run", "--bundle", b, Id());
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("unable to apply cgroup configuration: mkdir /sys/fs/cgroup/.*: permission denied", r.Stderr);
        Assert.Equal("", Ocirun("list", "-q").EnsureSuccess().Stdout);
    }

    [Fact]
    public void ADelegatedCgroupGivesLimitsPausePsAndUpdate()
    {
        // What an administrator does to delegate: a directory per v1 hierarchy, owned by the user
        // (cpuset's cpus and mems filled, as a new cpuset starts empty).
        var tag = "ocirun-rl-" + Guid.NewGuid().ToString("n")[..6];
        foreach (var h in Directory.GetDirectories("/sys/fs/cgroup").Where(h => File.Exists(Path.Combine(h, "tasks"))))
        {
            var dir = Directory.CreateDirectory(Path.Combine(h, tag)).FullName;
            _cgroups.Add(dir);
            foreach (var f in new[] { "cpuset.cpus", "cpuset.mems" }.Where(f => File.Exists(Path.Combine(dir, f))))
            {
                File.WriteAllText(Path.Combine(dir, f), File.ReadAllText(Path.Combine(h, f)));
            }
            Run.Program("chown", [$"{_user.Uid}:{_user.Gid}", dir, Path.Combine(dir, "tasks"), Path.Combine(dir, "cgroup.procs")]).EnsureSuccess();
        }
        var id = Id();
        var b = NewBundle(s =>
        {
            s.Process!.Args = ["sleep", "300"];
            s.Linux!.CgroupsPath = $"/{tag}/{id}";
            s.Linux.Resources = new Spec.Model.Resources { Pids = new Spec.Model.PidsResources { Limit = 40 } };
        });
        Ocirun("run", "-d", "--bundle", b, id).EnsureSuccess();
        var mine = $"/sys/fs/cgroup/pids/{tag}/{id}";
        Assert.Equal("40\n", File.ReadAllText(Path.Combine(mine, "pids.max")));
        int pid = JsonDocument.Parse(Ocirun("state", id).Stdout).RootElement.GetProperty("pid").GetInt32();
        Assert.Contains(pid.ToString(), File.ReadAllText(Path.Combine(mine, "cgroup.procs")));
        Assert.Equal($"[{pid}]\n", Ocirun("ps", "--format", "json", id).EnsureSuccess().Stdout);

        Ocirun("pause", id).EnsureSuccess();
        Assert.Equal("FROZEN\n", File.ReadAllText($"/sys/fs/cgroup/freezer/{tag}/{id}/freezer.state"));
        Assert.Contains("\"paused\"", Ocirun("state", id).Stdout);
        Ocirun("resume", id).EnsureSuccess();
        Ocirun("update", "--pids-limit", "60", id).EnsureSuccess();
        Assert.Equal("60\n", File.ReadAllText(Path.Combine(mine, "pids.max")));

        Ocirun("delete", "--force", id).EnsureSuccess();
        Assert.False(Directory.Exists(mine));
    }

    [Fact]
    public void SubordinateRangesAreMappedWithNewuidmapAsRuncDoes()
    {
        var s0 = _user.SubidStart;
        var b = NewBundle(s =>
        {
            s.Linux!.UidMappings = [new() { ContainerId = 0, HostId = _user.Uid, Size = 1 }, new() { ContainerId = 1, HostId = s0, Size = 65536 }];
            s.Linux.GidMappings = [new() { ContainerId = 0, HostId = _user.Gid, Size = 1 }, new() { ContainerId = 1, HostId = s0, Size = 65536 }];
            s.Process!.User = new Spec.Model.User { Uid = 1000, Gid = 1000 };
            s.Process.Args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g"];
        });
        var ours = Ocirun("run", "--bundle", b, Id()).EnsureSuccess();
        var runcs = Runc("run", "--bundle", b, Id()).EnsureSuccess();
        Assert.Equal(runcs.Stdout, ours.Stdout);
        Assert.Matches($@"^\s*0\s+{_user.Uid}\s+1\n\s*1\s+{s0}\s+65536\n\s*0\s+{_user.Gid}\s+1\n\s*1\s+{s0}\s+65536\n1000\n1000\n$", ours.Stdout);
    }

    [Theory]
    [InlineData("no-userns", "rootless container requires user namespaces")]
    [InlineData("additional-gids", "cannot set any additional groups in a rootless container")]
    public void WhatARootlessCallerCannotHaveIsRefusedAsRuncRefusesIt(string what, string message)
    {
        var b = NewBundle(s =>
        {
            if (what == "no-userns")
            {
                s.Linux!.Namespaces!.RemoveAll(n => n.Type == "user");
                s.Linux.UidMappings = null;
                s.Linux.GidMappings = null;
            }
            else
            {
                s.Process!.User!.AdditionalGids = [5];
            }
        });
        var ours = Ocirun("run", "--bundle", b, Id());
        var runcs = Runc("run", "--bundle", b, Id());
        Assert.NotEqual(0, runcs.ExitCode);
        Assert.Contains(message, runcs.Stderr);
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains(message, ours.Stderr);
        Assert.Equal("", Ocirun("list", "-q").EnsureSuccess().Stdout);
    }
}
