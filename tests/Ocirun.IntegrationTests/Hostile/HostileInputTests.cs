using System.Text.Json;
using System.Text.Json.Nodes;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Container;
using Ocirun.Spec;

namespace Ocirun.IntegrationTests.Hostile;

/// <summary>
/// The hostile-input corpus through the real binary: every config in <see cref="HostileConfigs"/>,
/// odd config files and bad command lines. Each must end with one error line and a non-zero
/// exit, and leave no state directory, cgroup, mount or process behind.
/// </summary>
public sealed class HostileInputTests(HostileRootfs rootfs) : IDisposable, IClassFixture<HostileRootfs>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly Harness.Runtime _rt = new();
    private readonly string _dir = Scratch.NewDirectory("hostile-");
    private string Cgroup => "/ocirun-it-" + Path.GetFileName(_dir);


    public void Dispose()
    {
        _rt.Dispose();
        Run.Program("sh", ["-c", $"grep -o ' {_dir}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"]);
        Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string> ConfigNames => new(HostileConfigs.All.Keys);

    [Theory]
    [MemberData(nameof(ConfigNames))]
    public void HostileConfigFailsCleanly(string name)
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Process.Args = ["true"];
        spec.Root!.Path = rootfs.Path;
        spec.Root.Readonly = true;
        spec.Linux!.CgroupsPath = Cgroup;
        var config = JsonNode.Parse(JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec))!.AsObject();
        var raw = HostileConfigs.All[name](config);
        File.WriteAllText(Path.Combine(_dir, "config.json"), raw ?? config.ToJsonString());
        AssertFailsCleanly(["create", "--bundle", _dir, "h1"]);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("directory")]
    [InlineData("device")]
    [InlineData("missing")]
    [InlineData("dangling symlink")]
    [InlineData("rootfs missing")]
    [InlineData("rootfs is a file")]
    public void OddConfigFileFailsCleanly(string kind)
    {
        var config = Path.Combine(_dir, "config.json");
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Linux!.CgroupsPath = Cgroup;
        spec.Root!.Path = kind == "rootfs is a file" ? "/etc/hostname" : Path.Combine(_dir, "no-rootfs");
        switch (kind)
        {
            case "fifo": Run.Program("mkfifo", [config]).EnsureSuccess(); break;
            case "directory": Directory.CreateDirectory(config); break;
            case "device": File.CreateSymbolicLink(config, "/dev/zero"); break;
            case "dangling symlink": File.CreateSymbolicLink(config, Path.Combine(_dir, "nothing")); break;
            case "missing": break;
            default: File.WriteAllText(config, JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec)); break;
        }
        AssertFailsCleanly(["create", "--bundle", _dir, "h1"]);
        AssertFailsCleanly(["run", "--bundle", _dir, "h1"]);
    }

    public static TheoryData<string> CommandLines => new(
    [
        "bogus", "create", "create --bundle", "create --no-such-flag h1", "create --bundle /nonexistent/b h1",
        "create --bundle {b} ../h1", "create --bundle {b} a/b", "create --bundle {b} .", "create --bundle {b} ' '",
        "create --bundle {b} 'a b'", "create --bundle {b} h1 extra", "create --bundle {b} --pid-file /nonexistent/dir/pid h1",
        "create --bundle {b} --console-socket /nonexistent/sock h1", "create --bundle {b} --preserve-fds -1 h1",
        "create --bundle {b} --preserve-fds abc h1", "create --bundle {b} --preserve-fds 99999999999 h1",
        "run --bundle {b} --detach --console-socket /nonexistent/sock h1", "run --bundle /nonexistent h1",
        "start", "start nosuch", "start a/b", "kill nosuch", "kill nosuch KILL", "kill nosuch SIGNOPE", "kill", "delete nosuch",
        "delete", "state", "state nosuch", "state ../../etc", "exec nosuch true", "exec", "ps nosuch", "ps", "pause nosuch",
        "resume nosuch", "update nosuch", "update --memory abc nosuch", "events nosuch", "checkpoint nosuch",
        "checkpoint --image-path /nonexistent nosuch", "restore --image-path /nonexistent --bundle {b} h1",
        "restore --bundle {b} h1", "list --format xml", "ps --format xml nosuch", "spec --bundle /nonexistent/dir",
        "--log-format xml list", "--root", "--no-such-global list", "features extra", "kill nosuch 0x",
        "exec --user abc nosuch true", "exec --process /nonexistent nosuch",
    ]);

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void BadCommandLineFailsCleanly(string line)
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Root!.Path = rootfs.Path;
        spec.Linux!.CgroupsPath = Cgroup;
        File.WriteAllText(Path.Combine(_dir, "config.json"), JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec));
        var args = Split(line.Replace("{b}", _dir));
        AssertFailsCleanly(args);
    }

    private void AssertFailsCleanly(string[] args)
    {
        var r = _rt.Exec(args, Timeout);
        Assert.True(r.ExitCode != 0, $"exit 0 for `{string.Join(' ', args)}`: {r.Stdout}");
        var err = r.Stderr.TrimEnd('\n');
        Assert.False(string.IsNullOrWhiteSpace(err), "no error message");
        Assert.DoesNotContain('\n', err);
        // .NET's type names and resource keys ("IO_PathTooLong_Path") are not for users.
        Assert.DoesNotMatch(@"System\.|`\d|internal error|Exception|(^|[^A-Z])(IO|Arg|Argument)_[A-Z]", err);
        Assert.Empty(_rt.Ids());
        Assert.False(Directory.Exists(Path.Combine(_rt.Root, "h1")), "state directory left");
        var roots = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : Directory.GetDirectories("/sys/fs/cgroup");
        Assert.All(roots, root => Assert.False(Directory.Exists(root + Cgroup), "cgroup left in " + root));
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(_dir) || l.Contains(_rt.Root));
        Assert.Empty(ProcessesOf("h1"));
    }

    /// <summary>Processes that a create of id left: they carry _OCIRUN_ID=id in their environment.</summary>
    private List<int> ProcessesOf(string id)
    {
        var found = new List<int>();
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid))
            {
                continue;
            }
            try
            {
                var env = File.ReadAllText(Path.Combine(d, "environ"));
                if (env.Contains($"_OCIRUN_ID={id}\0") && env.Contains(_dir))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }

    /// <summary>Splits a command line on spaces; single quotes keep a word together.</summary>
    private static string[] Split(string line)
    {
        var words = new List<string>();
        var parts = line.Split('\'');
        for (int i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 1)
            {
                words.Add(parts[i]);
            }
            else
            {
                words.AddRange(parts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        return words.ToArray();
    }
}

/// <summary>
/// A rootfs of the corpus's own: a create that fails after making mount points leaves them in
/// the rootfs (as runc's does), and no other test may see them.
/// </summary>
public sealed class HostileRootfs : IDisposable
{
    private readonly string _dir = Scratch.NewDirectory("hostile-rootfs-");

    public HostileRootfs() => Run.Program("cp", ["-a", TestEnv.Rootfs, Path]).EnsureSuccess();

    public string Path => System.IO.Path.Combine(_dir, "rootfs");

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
