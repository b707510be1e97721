using System.Text.Json;
using Ocirun.IntegrationTests.Harness;

namespace Ocirun.IntegrationTests;

/// <summary>The command line as callers use it: global flags, logs, exit codes, environment.</summary>
[Collection(nameof(HostCriu))]
public sealed class CliTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    [Fact]
    public void StateOfAnotherRuntimeIsRefusedAndDeleteForceRemovesIt()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_rt.Root, "x")).FullName;
        File.WriteAllText(Path.Combine(dir, "state.json"), """{"id":"x","init_process_pid":1,"config":{}}""");
        var r = _rt.Exec("state", "x");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("container x: state.json was not written by ocirun\n", r.Stderr);
        Assert.Equal(1, _rt.Exec("delete", "x").ExitCode);
        _rt.Ok("delete", "--force", "x");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void BrokenConfigJsonIsOneReadableLineAndLeavesNothing()
    {
        using var b = new Bundle("true");
        File.WriteAllText(Path.Combine(b.Dir, "config.json"), "{bad");
        var r = _rt.Exec("run", "--bundle", b.Dir, "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("ocirun run failed: invalid JSON at line 1, column 2: expected start of property not found: b\n", r.Stderr);
        Assert.Empty(_rt.Ids());
    }

    /// <summary>File errors read as runc's, not as .NET resource keys (the binary has none of their texts).</summary>
    [Fact]
    public void MissingFilesAreNamedInPlainWords()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var r = _rt.Exec("update", "--resources", "/nonexistent/resources.json", "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("open /nonexistent/resources.json: no such file or directory\n", r.Stderr);
        var p = _rt.Exec("exec", "--pid-file", "/nonexistent/dir/pid", "c1", "true");
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("/nonexistent/dir", p.Stderr);
        Assert.DoesNotContain("IO_", p.Stderr);
    }

    [Fact]
    public void VersionHasRuncsLayout()
    {
        var r = Harness.Run.Program(TestEnv.Bin, ["--version"]).EnsureSuccess();
        var lines = r.Stdout.Split('\n');
        Assert.StartsWith("ocirun version ", lines[0]);
        Assert.Matches(@"^spec: 1\.\d+\.\d+$", lines.First(l => l.StartsWith("spec:")));
    }

    [Fact]
    public void UnknownCommandAndFlagFail()
    {
        // urfave/cli's code and wording, which runc 1.3.6 keeps.
        var cmd = _rt.Exec("frobnicate");
        Assert.Equal((3, "No help topic for 'frobnicate'\n"), (cmd.ExitCode, cmd.Stderr));
        var flag = _rt.Exec("state", "--bogus", "x");
        Assert.Equal(1, flag.ExitCode);
        Assert.Contains("flag provided but not defined: -bogus", flag.Stderr);
    }

    [Fact]
    public void FeaturesIsJsonWithNothingOnStderr()
    {
        var r = _rt.Ok("features");
        Assert.Equal("", r.Stderr);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("1.0.0", doc.GetProperty("ociVersionMin").GetString());
        Assert.NotEmpty(doc.GetProperty("ociVersionMax").GetString()!);
        Assert.Contains("rbind", doc.GetProperty("mountOptions").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("user", doc.GetProperty("linux").GetProperty("namespaces").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void SpecRootlessHasRunc13sMountsAndNamespaces()
    {
        // runc keeps the cgroup mount (bound from the host where cgroup2 cannot be mounted).
        using var ours = new Bundle();
        using var theirs = new Bundle();
        File.Delete(Path.Combine(ours.Dir, "config.json"));
        File.Delete(Path.Combine(theirs.Dir, "config.json"));
        _rt.Ok("spec", "--rootless", "--bundle", ours.Dir);
        using var runc13 = new Runc13();
        runc13.Exec("spec", "--rootless", "--bundle", theirs.Dir);
        System.Text.Json.Nodes.JsonNode Part(Bundle b, params string[] path) =>
            path.Aggregate(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(b.Dir, "config.json")))!, (n, k) => n[k]!);
        foreach (var path in new[] { new[] { "mounts" }, ["linux", "namespaces"], ["linux", "maskedPaths"], ["linux", "readonlyPaths"] })
        {
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(Part(theirs, path), Part(ours, path)), string.Join(".", path) + ": " + Part(ours, path).ToJsonString());
        }
        Assert.Contains(Part(ours, "mounts").AsArray(), m => (string?)m!["destination"] == "/sys/fs/cgroup");
    }

    [Fact]
    public void SpecWritesARunnableConfig()
    {
        using var b = new Bundle();
        File.Delete(Path.Combine(b.Dir, "config.json"));
        _rt.Ok("spec", "--bundle", b.Dir);
        var again = _rt.Exec("spec", "--bundle", b.Dir);
        Assert.Equal(1, again.ExitCode);
        // The default spec asks for a terminal; switch it off with the CLI's own JSON model.
        var text = File.ReadAllText(Path.Combine(b.Dir, "config.json")).Replace("\"terminal\": true", "\"terminal\": false")
            .Replace("\"sh\"", "\"hostname\"");
        File.WriteAllText(Path.Combine(b.Dir, "config.json"), text);
        Assert.Equal("ocirun\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
        // runc 1.2's rule: a cgroup namespace only where /sys/fs/cgroup is cgroup2 itself.
        var namespaces = JsonDocument.Parse(text).RootElement.GetProperty("linux").GetProperty("namespaces")
            .EnumerateArray().Select(n => n.GetProperty("type").GetString()).ToList();
        Assert.Equal(File.Exists("/sys/fs/cgroup/cgroup.controllers"), namespaces.Contains("cgroup"));
    }

    [Fact]
    public void ErrorsGoToStderrAndToTheJsonLog()
    {
        var log = Path.Combine(Path.GetTempPath(), $"ocirun-it-{Guid.NewGuid():n}.log");
        try
        {
            var r = _rt.Exec("--log", log, "--log-format=json", "state", "nope");
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("container does not exist\n", r.Stderr);
            var line = File.ReadAllLines(log).Single();
            var doc = JsonDocument.Parse(line).RootElement;
            Assert.Equal("error", doc.GetProperty("level").GetString());
            Assert.Equal("container does not exist", doc.GetProperty("msg").GetString());
            Assert.True(DateTimeOffset.TryParse(doc.GetProperty("time").GetString(), out _));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void WorksWithOnlyXdgRuntimeDirInTheEnvironment()
    {
        using var b = new Bundle("sleep", "300");
        var env = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = "/run/user/0" };
        var create = _rt.Exec(["create", "--bundle", b.Dir, "c1"], null, env: env, clearEnv: true);
        Assert.Equal("", create.Stderr);
        Assert.Equal(0, create.ExitCode);
        foreach (var args in new[] { new[] { "start", "c1" }, ["kill", "c1", "9"], ["delete", "--force", "c1"] })
        {
            var r = _rt.Exec(args, null, env: env, clearEnv: true);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: {r}");
        }
    }

    [Fact]
    public void FlagGrammarVariants()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("create", "-bundle", b.Dir, "--pid-file=" + Path.Combine(b.Dir, "pid"), "c1");
        _rt.Ok("start", "c1");
        _rt.Ok("kill", "c1", "SIGKILL");
        LifecycleTests.WaitFor(() => _rt.Ok("state", "c1").Stdout.Contains("stopped"));
        _rt.Ok("kill", "-a", "c1", "9");
        _rt.Ok("delete", "-f=true", "c1");
        Assert.Empty(_rt.Ids());
    }

    [Fact]
    public void InvalidContainerIdIsRejected()
    {
        using var b = new Bundle("true");
        var r = _rt.Exec("create", "--bundle", b.Dir, "../escape");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("invalid container ID format", r.Stderr);
    }

    [Fact]
    public void BadConfigFailsWithOneLineAndLeavesNothing()
    {
        using var b = new Bundle("true");
        File.WriteAllText(Path.Combine(b.Dir, "config.json"), "{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"rootfs\"}}");
        var r = _rt.Exec("create", "--bundle", b.Dir, "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("unsupported spec version", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_rt.Root, "c1")));
    }

    [Fact]
    public void CheckReportsWhatThisHostCanDoAndWhy()
    {
        // This machine (and CI's): hybrid cgroups, CRIU 4.2.1 from `make deps`, no soft-dirty.
        var text = _rt.Ok("check").Stdout;
        Assert.Matches(@"criu +/\S+ 4\.2\.1; check yes", text);
        Assert.Matches(@"pre-dump +does not: .*soft-dirty", text);
        Assert.Matches(@"lazy migration +works", text);
        using var json = System.Text.Json.JsonDocument.Parse(_rt.Ok("check", "--format", "json").Stdout);
        var root = json.RootElement;
        Assert.Equal("hybrid", root.GetProperty("cgroupMode").GetString());
        Assert.True(root.GetProperty("namespaces").GetProperty("time").GetBoolean());
        Assert.True(root.GetProperty("syscalls").GetProperty("openat2").GetBoolean());
        Assert.False(root.GetProperty("criu").GetProperty("memTrack").GetBoolean());
        var checkpoint = root.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "checkpoint");
        Assert.True(checkpoint.GetProperty("works").GetBoolean());
        var bad = _rt.Exec("check", "--format", "yaml");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("invalid format option: yaml", bad.Stderr);
    }
}
