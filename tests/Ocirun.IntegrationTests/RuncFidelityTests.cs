using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>Behaviours where engines rely on what runc does (each failed before its fix).</summary>
public sealed class RuncFidelityTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    [Fact]
    public void AnExecveFailureAfterStartIsReportedAsRunc13ReportsIt()
    {
        // Not an executable format: found at create, refused by execve after start.
        using var b = new Bundle("/badexe");
        File.WriteAllText(Path.Combine(b.Rootfs, "badexe"), "garbage\n");
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "badexe"), (UnixFileMode)0x1ed /* 0755 */);
        var ours = _rt.Exec("run", "--bundle", b.Dir, "c1");
        using var runc13 = new Runc13();
        var runc = runc13.Exec("run", "--bundle", b.Dir, "c1");
        Assert.Equal((255, "exec /badexe: exec format error\n"), (runc.ExitCode, runc.Stderr));
        Assert.Equal((runc.ExitCode, runc.Stderr), (ours.ExitCode, ours.Stderr));
    }

    [Fact]
    public void CwdThatOnlyRootCanReachWorksForAnotherUser()
    {
        using var b = new Bundle("pwd");
        b.Spec.Process!.User = new User { Uid = 1000, Gid = 1000 };
        b.Spec.Process.Cwd = "/root";
        b.Write();
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "root"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal("/root\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SeccompIsLoadedAfterTheInitsOwnChdir(bool noNewPrivileges)
    {
        // chdir refused with ENXIO (6): the init's own chdir to cwd must not meet the filter.
        using var b = new Bundle().Shell("pwd; cd / 2>&1; echo rc=$?");
        b.Spec.Process!.Cwd = "/tmp";
        b.Spec.Process.NoNewPrivileges = noNewPrivileges;
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["chdir", "fchdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 6 }],
        };
        b.Write();
        var r = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.StartsWith("/tmp\n", r);
        Assert.Contains("No such device or address", r);
        Assert.Contains("rc=2", r);
    }

    [Fact]
    public void TerminalBelongsToTheProcessesUser()
    {
        using var b = new Bundle().Shell("stat -c %u $(tty)");
        b.Spec.Process!.Terminal = true;
        b.Spec.Process.User = new User { Uid = 1000, Gid = 1000 };
        b.Write();
        var run = Run.Program("script", ["-qec", $"{TestEnv.Bin} --root {_rt.Root} run --bundle {b.Dir} c1", "/dev/null"]);
        // script(1) echoes a NUL of its own ("^@"), with runc as with ocirun.
        Assert.Equal("1000", run.Stdout.Replace("^@", "").Trim());
    }

    [Fact]
    public void RsharedRootfsThatIsAMountPointOfItsOwn()
    {
        // containerd's overlay rootfs is a mount; here a bind of the rootfs onto itself.
        using var b = new Bundle("true");
        b.Spec.Linux!.RootfsPropagation = "rshared";
        b.Write();
        Run.Program("mount", ["--bind", b.Rootfs, b.Rootfs]).EnsureSuccess();
        _rt.Ok("run", "--bundle", b.Dir, "c1");
    }

    [Fact]
    public void CliDetailsEnginesParse()
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        _rt.Ok("kill", "c1", "0");
        // One line of JSON each, as runc prints them.
        Assert.Single(_rt.Ok("list", "--format", "json").Stdout.TrimEnd('\n').Split('\n'));
        Assert.Single(_rt.Ok("ps", "--format", "json", "c1").Stdout.TrimEnd('\n').Split('\n'));
        var pidFile = _rt.Exec("exec", "--pid-file", "/nonexistent/ocirun-dir/p", "c1", "sleep", "100");
        Assert.Equal(255, pidFile.ExitCode);
        Assert.StartsWith("exec failed: ", pidFile.Stderr.Trim());
        Assert.Single(_rt.Ok("ps", "--format", "json", "c1").Stdout.Split(','));
        var escape = _rt.Exec("exec", "--cgroup", "../../elsewhere", "c1", "true");
        Assert.Equal(255, escape.ExitCode);
        Assert.Contains("../../elsewhere is not a sub cgroup path", escape.Stderr);
        _rt.Ok("kill", "c1", "KILL");
        LifecycleTests.WaitFor(() => _rt.Ok("state", "c1").Stdout.Contains("\"stopped\""));
        var ps = _rt.Exec("ps", "c1");
        Assert.Equal(0, ps.ExitCode);
        Assert.Single(ps.Stdout.TrimEnd('\n').Split('\n'));
        var kill = _rt.Exec("kill", "c1", "0");
        Assert.Equal(1, kill.ExitCode);
        Assert.Contains("container not running", kill.Stderr);
    }

    [Fact]
    public void ErrorsReachTheLogWhenStdioIsReadOnlyDevNull()
    {
        // containerd's shim gives the runtime read-only /dev/null as stdio and reads --log.
        var log = Path.Combine(Path.GetTempPath(), "ocirun-it-log-" + Guid.NewGuid().ToString("n"));
        try
        {
            var r = Run.Program("sh", ["-c", "\"$@\" 0</dev/null 1</dev/null 2</dev/null", "sh", TestEnv.Bin, "--root", _rt.Root,
                "--log", log, "--log-format", "json", "create", "--bundle", "/nonexistent/ocirun-bundle", "c1"]);
            Assert.Equal(1, r.ExitCode);
            var line = System.Text.Json.JsonDocument.Parse(File.ReadAllText(log)).RootElement;
            Assert.Equal("error", line.GetProperty("level").GetString());
            Assert.Equal("ocirun create failed: chdir /nonexistent/ocirun-bundle: no such file or directory", line.GetProperty("msg").GetString());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void ReadonlyDevIsPopulatedFirst()
    {
        using var b = new Bundle().Shell("ls /dev/pts/ptmx /dev/null >/dev/null && touch /dev/x 2>&1; grep ' /dev ' /proc/self/mountinfo");
        b.Spec.Mounts!.First(m => m.Destination == "/dev").Options!.Add("ro");
        b.Write();
        var r = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.Contains("Read-only file system", r);
        Assert.Matches(" /dev ro,", r);
    }

    [Fact]
    public void EnvironmentHasEachVariableOnceAndHomeFromPasswd()
    {
        using var b = new Bundle("env");
        b.Spec.Process!.Env = ["PATH=/bin:/usr/bin", "X=first", "HOME=", "X=last"];
        b.Write();
        var env = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["X=last"], env.Where(e => e.StartsWith("X=")));
        Assert.Equal(["HOME=/root"], env.Where(e => e.StartsWith("HOME=")));
    }

    [Fact]
    public void ForegroundTerminalOutputIsNotTranslated()
    {
        using var b = new Bundle().Shell("echo a; echo b");
        b.Spec.Process!.Terminal = true;
        b.Write();
        var run = Run.Program("script", ["-qec", $"{TestEnv.Bin} --root {_rt.Root} run --bundle {b.Dir} c1", "/dev/null"]);
        // script(1) echoes a NUL of its own ("^@") at some moment; the rest must be as written.
        Assert.Equal("a\nb\n", run.Stdout.Replace("^@", ""));
        b.Spec.Process.Terminal = false;
        b.Spec.Process.Args = ["sleep", "300"];
        b.Write();
        _rt.RunDetached(b.Dir, "c2", "sleep");
        var exec = Run.Program("script", ["-qec", $"{TestEnv.Bin} --root {_rt.Root} exec -t c2 sh -c 'echo c; echo d'", "/dev/null"]);
        Assert.Equal("c\nd\n", exec.Stdout.Replace("^@", ""));
    }

    [Fact]
    public void MaskedDirectoriesShareOneEmptyReadOnlyTmpfsAsInRunc13()
    {
        // Directories of the image, so that the test does not depend on the host's /proc/acpi.
        using var b = new Bundle().Shell(
            "d() { awk -v p=$1 '$5 == p {print $3}' /proc/self/mountinfo; }; " +
            "[ \"$(d /m1)\" = \"$(d /m2)\" ] && [ -n \"$(d /m1)\" ] && echo one superblock; " +
            "awk '$5 == \"/m1\" || $5 == \"/m2\" {print $5, $6, $9, $NF}' /proc/self/mountinfo; ls -A /m1 /m2; " +
            "touch /m2/x 2>&1 | sed 's/.*: //'");
        foreach (var d in new[] { "m1", "m2" })
        {
            Directory.CreateDirectory(Path.Combine(b.Rootfs, d));
            File.WriteAllText(Path.Combine(b.Rootfs, d, "secret"), "x");
        }
        b.Spec.Linux!.MaskedPaths = ["/m1", "/m2"];
        b.Write();
        var ours = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        using var runc13 = new Runc13();
        var runc = runc13.Exec("run", "--bundle", b.Dir, "c1");
        Assert.Equal("one superblock\n/m1 ro,relatime tmpfs ro,size=4k,nr_inodes=1\n/m2 ro,relatime tmpfs ro,size=4k,nr_inodes=1\n" +
            "/m1:\n\n/m2:\nRead-only file system\n", runc.Stdout);
        Assert.Equal(runc.Stdout, ours);
    }

    [Fact]
    public void StateAndListPrintTheDocumentAsRunc13Does()
    {
        // Keys out of order; characters Go escapes its own way (or leaves as they are).
        using var b = new Bundle("sleep", "100");
        b.Spec.Annotations = new() { ["b"] = "\b\f\u007f é <&> \u2028 \u0001 \"\\ \U0001F600", ["a"] = "1", ["A"] = "2", ["\U0001F600"] = "x", ["\uffff"] = "y" };
        b.Write();
        using var runc13 = new Runc13();
        string Printed(Func<string[], CommandResult> exec)
        {
            var text = With(exec, b, start: false, () => exec(["state", "c1"]).Stdout + exec(["list", "--format", "json"]).Stdout);
            return System.Text.RegularExpressions.Regex.Replace(text, "(\"(pid|created|ociVersion)\": ?)[^,]*,", "$1…,");
        }
        var runc = Printed(a => runc13.Exec(a));
        Assert.Contains("\"A\": \"2\",\n    \"a\": \"1\",\n    \"b\": \"\\b\\f\u007f é \\u003c\\u0026\\u003e \\u2028 \\u0001 \\\"\\\\ \U0001F600\",", runc);
        Assert.Equal(runc, Printed(a => _rt.Exec(a)));
        // No containers: runc's encoder prints a nil slice.
        Assert.Equal(runc13.Exec("list", "--format", "json").Stdout, _rt.Exec("list", "--format", "json").Stdout);
    }

    [Theory]
    [InlineData("/notexec", "exec: \"/notexec\": permission denied")]
    [InlineData("/tmp", "exec: \"/tmp\": is a directory")]
    public void CreateFailsForAProcessThatCannotBeExecuted(string program, string error)
    {
        // Refused at create, where it can still be reported, as runc's init looks it up then.
        using var b = new Bundle(program);
        File.WriteAllText(Path.Combine(b.Rootfs, "notexec"), "#!/bin/sh\n");
        using var runc13 = new Runc13();
        // runc's logrus line quotes the message: \" inside.
        Assert.Contains(error, runc13.Exec("create", "--bundle", b.Dir, "c1").Stderr.Replace("\\\"", "\""));
        _rt.AssertCreateFailsCleanly(b, error);
    }

    [Fact]
    public void CreateRunAndExecFailuresAreWordedAsRunc13WordsThem()
    {
        // Podman and containerd show these to users: runc's prefixes ("runc create failed: ",
        // "unable to start container process: ", "error during container init: ") and
        // exit codes, with this runtime's name where runc names itself.
        using var b = new Bundle("sleep", "100");
        using var missing = new Bundle("/nonexistent");
        using var runc13 = new Runc13();
        List<string> Failures(Func<string[], CommandResult> exec, string name) =>
            With(exec, b, start: false, () => new[]
            {
                exec(["create", "--bundle", b.Dir, "c1"]),
                exec(["exec", "c1", "/nonexistent"]),
                exec(["exec", "nosuch", "true"]),
                exec(["exec", "--process", b.Dir + "/nosuch.json", "c1"]),
                exec(["exec", "--cgroup", "pids:../x", "c1", "true"]),
                exec(["exec", "--cgroup", "nosuchctl:/x", "c1", "true"]),
                exec(["run", "--bundle", missing.Dir, "c2"]),
                exec(["create", "--bundle", b.Dir + "-nosuch", "c3"]),
                exec(["kill", "nosuch", "NOSUCHSIG"]),
                exec(["kill", "c1", "NOSUCHSIG"]),
            }.Select(r => Outcome(r).Replace($" {name} ", " RUNTIME ")).ToList());
        var runc = Failures(a => runc13.Exec(a), "runc");
        Assert.Equal(
        [
            "1 RUNTIME create failed: container with given ID already exists",
            "255 exec failed: unable to start container process: exec: \"/nonexistent\": stat /nonexistent: no such file or directory",
            "255 exec failed: container does not exist",
            $"255 exec failed: open {b.Dir}/nosuch.json: no such file or directory",
            "255 exec failed: unable to create new parent process: ../x is not a sub cgroup path",
            "255 exec failed: unable to create new parent process: unknown controller nosuchctl in SubCgroupPaths",
            "1 RUNTIME run failed: unable to start container process: error during container init: exec: \"/nonexistent\": stat /nonexistent: no such file or directory",
            $"1 RUNTIME create failed: chdir {b.Dir}-nosuch: no such file or directory",
            "1 container does not exist",
            "1 unknown signal \"NOSUCHSIG\"",
        ], runc);
        Assert.Equal(runc, Failures(a => _rt.Exec(a), "ocirun"));
    }

    [Theory]
    [InlineData("/x", "nosuchfs", "foo", new string[0])]
    [InlineData("/x", "tmpfs", "tmpfs", new[] { "size=abc", "nosuid", "nodev" })]
    [InlineData("/etc/hostname", "bind", "/tmp", new[] { "rbind" })]
    public void AMountThatFailsIsWordedAsRunc13WordsIt(string dest, string type, string source, string[] options)
    {
        // `error mounting "SRC" to rootfs at "DST": mount src=…, dst=DST, dstFd=…, flags=MS_…,
        // data=…: ERRNO`: which mount, with what. Only the fd's number and path differ.
        // A bundle each: a runtime creates the mount point, and a tmpfs over an existing one
        // gets its mode in the data.
        using var forRunc = new Bundle("true");
        using var forOcirun = new Bundle("true");
        using var runc13 = new Runc13();
        string Words(Bundle b, Func<string[], CommandResult> exec)
        {
            b.Spec.Mounts!.Add(new Mount { Destination = dest, Type = type, Source = source, Options = [.. options] });
            b.Write();
            var r = exec(["--log", Path.Combine(b.Dir, "log"), "run", "--bundle", b.Dir, "c1"]);
            return $"{r.ExitCode} " + System.Text.RegularExpressions.Regex.Replace(r.Stderr.Trim(), @"dstFd=/proc/[a-z-]+/fd/\d+", "dstFd=FD")
                .Replace("runc run failed", "RUNTIME run failed").Replace("ocirun run failed", "RUNTIME run failed");
        }
        var runc = Words(forRunc, a => runc13.Exec(a));
        Assert.StartsWith($"1 RUNTIME run failed: unable to start container process: error during container init: error mounting \"{source}\" to rootfs at \"{dest}\": mount src={source}, dst={dest}, dstFd=FD", runc);
        Assert.Equal(runc, Words(forOcirun, a => _rt.Exec(a)));
    }

    [Fact]
    public void UpdateValuesThatCannotBeReadAreWordedAsRunc13WordsThem()
    {
        // runc reads its two integer flags with the command line (a usage error), the
        // rest once the container is known, with Go's strconv words.
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        const string huge = "99999999999999999999";
        List<string> Outcomes(Func<string[], CommandResult> exec)
        {
            exec(["run", "-d", "--bundle", b.Dir, "c1"]).EnsureSuccess();
            var log = Path.Combine(b.Dir, "update.log");
            var outcomes = new[]
            {
                ("cpu-share", "x", "c1"), ("cpu-share", "-1", "c1"), ("cpu-quota", huge, "c1"), ("cpu-idle", "x", "c1"),
                ("memory", "x", "c1"), ("pids-limit", "x", "c1"), ("pids-limit", huge, "c1"), ("blkio-weight", "x", "c1"),
                ("memory", "x", "nosuch"), ("cpu-share", "x", "nosuch"), ("pids-limit", "x", "nosuch"),
            }.Select(f => exec(["--log", log, "update", $"--{f.Item1}={f.Item2}", f.Item3]))
                // runc prints "Incorrect Usage: " and the command's help on stdout, the message
                // alone on stderr; ocirun keeps it to one line on stderr, with the prefix.
                .Select(r => $"{r.ExitCode} {r.Stderr.Split('\n')[0].Replace("Incorrect Usage: ", "")}").ToList();
            exec(["delete", "--force", "c1"]).EnsureSuccess();
            return outcomes;
        }
        var runc = Outcomes(a => runc13.Exec(a));
        Assert.Equal(
        [
            "1 invalid value for cpu-share: strconv.ParseUint: parsing \"x\": invalid syntax",
            "1 invalid value for cpu-share: strconv.ParseUint: parsing \"-1\": invalid syntax",
            $"1 invalid value for cpu-quota: strconv.ParseInt: parsing \"{huge}\": value out of range",
            "1 invalid value for cpu-idle: strconv.ParseInt: parsing \"x\": invalid syntax",
            "1 invalid value for memory: invalid size: 'x'",
            "1 invalid value \"x\" for flag -pids-limit: parse error",
            $"1 invalid value \"{huge}\" for flag -pids-limit: value out of range",
            "1 invalid value \"x\" for flag -blkio-weight: parse error",
            "1 container does not exist",
            "1 container does not exist",
            "1 invalid value \"x\" for flag -pids-limit: parse error",
        ], runc);
        Assert.Equal(runc, Outcomes(a => _rt.Exec(a)));
    }

    [Fact]
    public void NumberFlagsThatCannotBeReadAreWordedAsRunc13WordsThem()
    {
        using var b = new Bundle("true");
        using var runc13 = new Runc13();
        const string huge = "99999999999999999999";
        List<string> Outcomes(Func<string[], CommandResult> exec) => new[]
        {
            exec(["run", "--preserve-fds", "x", "--bundle", b.Dir, "c1"]),
            exec(["create", "--preserve-fds", huge, "--bundle", b.Dir, "c1"]),
            exec(["exec", "--preserve-fds", "-1", "c1", "true"]),
            exec(["checkpoint", "--status-fd", "x", "c1"]),
        }.Select(r => $"{r.ExitCode} {r.Stderr.Split('\n')[0].Replace("Incorrect Usage: ", "")}").ToList();
        var runc = Outcomes(a => runc13.Exec(["--log", Path.Combine(b.Dir, "log"), .. a]));
        Assert.Equal(
        [
            "1 invalid value \"x\" for flag -preserve-fds: parse error",
            $"1 invalid value \"{huge}\" for flag -preserve-fds: value out of range",
            "255 exec failed: container does not exist", // exec reads it once the container is known
            "1 invalid value \"x\" for flag -status-fd: parse error",
        ], runc);
        Assert.Equal(runc, Outcomes(a => _rt.Exec(["--log", Path.Combine(b.Dir, "log"), .. a])));
    }

    [Fact]
    public void ACgroupValueTheKernelRefusesIsWordedAsRunc13WordsIt()
    {
        // runc: `failed to write "VALUE": write PATH: ERRNO` (the value quoted, the path named
        // once); with --log, as engines call it, stderr has the message alone.
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        var cpu = "100000"; // beyond any host's CPUs (the kernel's limit is 8192)
        var outcomes = new List<string>();
        foreach (var exec in new Func<string[], CommandResult>[] { a => runc13.Exec(a), a => _rt.Exec(a) })
        {
            exec(["run", "-d", "--bundle", b.Dir, "c1"]).EnsureSuccess();
            var r = exec(["--log", Path.Combine(b.Dir, "update.log"), "update", "--cpuset-cpus", cpu, "c1"]);
            exec(["delete", "--force", "c1"]).EnsureSuccess();
            outcomes.Add($"{r.ExitCode} {r.Stderr.Trim()}");
        }
        Assert.StartsWith($"1 failed to write \"{cpu}\": write /sys/fs/cgroup/cpuset{b.Spec.Linux!.CgroupsPath}/cpuset.cpus: ", outcomes[0]);
        Assert.Equal(outcomes[0], outcomes[1]);
    }

    [Theory]
    [InlineData("net.ipv4.nosuch", "1", "open sysctl net.ipv4.nosuch file: ", "/sys/net/ipv4/nosuch: no such file or directory")]
    [InlineData("net.ipv4.ip_forward", "abc", "failed to write sysctl net.ipv4.ip_forward = \"abc\": write ", "/sys/net/ipv4/ip_forward: invalid argument")]
    public void ASysctlThatFailsIsWordedAsRunc13WordsIt(string key, string value, string words, string end)
    {
        // runc names the file by its private procfs ("fsmount:fscontext:proc/./sys/..."), after
        // "unsafe procfs detected: " even for a key that does not exist; ocirun by /proc.
        using var b = new Bundle("true");
        b.Spec.Linux!.Sysctl = new() { [key] = value };
        b.Write();
        using var runc13 = new Runc13();
        foreach (var r in new[] { runc13.Exec("run", "--bundle", b.Dir, "c1"), _rt.Exec("run", "--bundle", b.Dir, "c1") })
        {
            Assert.Equal(1, r.ExitCode);
            var line = r.Stderr.Replace("\\\"", "\"");
            Assert.Contains("unable to start container process: error during container init: " + words, line);
            Assert.Contains(end, line);
        }
    }

    [Fact]
    public void HookOutputAndFailuresAreRunc13s()
    {
        // runc keeps a hook's stdout and stderr off its own (during create they are the
        // container's) and quotes them when the hook fails, in Go's words for its end.
        Hook Sh(string script) => new() { Path = "/bin/sh", Args = ["sh", "-c", script] };
        var hooks = new[]
        {
            Sh("echo hook-out; echo hook-err >&2"),
            Sh("echo out; echo err >&2; exit 3"),
            // More than a pipe holds: read while the hook runs.
            Sh("head -c 100000 /dev/zero | tr '\\0' x; exit 1"),
            Sh("kill -TERM $$"),
            new Hook { Path = "/bin/sleep", Args = ["sleep", "5"], Timeout = 1 },
            new Hook { Path = "/nonexistent" },
        };
        using var runc13 = new Runc13();
        List<string> Outcomes(Func<string[], CommandResult> exec, string name)
        {
            var outcomes = new List<string>();
            foreach (var hook in hooks)
            {
                using var b = new Bundle("true");
                b.Spec.Hooks = new Hooks { Prestart = [hook] };
                b.Write();
                var log = Path.Combine(b.Dir, "runtime.log");
                var r = exec(["--log", log, "--log-format", "json", "run", "--bundle", b.Dir, "c1"]);
                var errors = File.Exists(log) ? File.ReadAllLines(log).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
                    .Where(e => e.GetProperty("level").GetString() == "error").Select(e => e.GetProperty("msg").GetString()!) : [];
                outcomes.Add($"{r.ExitCode} [{r.Stdout}] {string.Join("|", errors).Replace($"{name} run failed", "RUNTIME run failed")}");
                exec(["delete", "--force", "c1"]);
            }
            return outcomes;
        }
        var runc = Outcomes(a => runc13.Exec(a), "runc");
        const string Failed = "RUNTIME run failed: unable to start container process: error during container init: error running prestart hook #0: ";
        Assert.Equal(
        [
            "0 [] ",
            $"1 [] {Failed}exit status 3, stdout: out\n, stderr: err\n",
            $"1 [] {Failed}exit status 1, stdout: {new string('x', 100000)}, stderr: ",
            $"1 [] {Failed}signal: terminated, stdout: , stderr: ",
            $"1 [] {Failed}hook ran past specified timeout of 1.0s",
            $"1 [] {Failed}fork/exec /nonexistent: no such file or directory",
        ], runc);
        Assert.Equal(runc, Outcomes(a => _rt.Exec(a), "ocirun"));
    }

    [Fact]
    public void ACreatedContainerCanBePausedAndResumedBackToCreated()
    {
        using var b = new Bundle("true");
        string[] Statuses(Func<string[], CommandResult> exec)
        {
            string Status() => System.Text.Json.JsonDocument.Parse(exec(["state", "c1"]).Stdout).RootElement.GetProperty("status").GetString()!;
            return With(exec, b, start: false, () =>
            {
                var paused = (exec(["pause", "c1"]).ExitCode, Status());
                var resumed = (exec(["resume", "c1"]).ExitCode, Status());
                return new[] { $"{paused}", $"{resumed}" };
            });
        }
        using var runc13 = new Runc13();
        var runc = Statuses(a => runc13.Exec(a));
        Assert.Equal(["(0, paused)", "(0, created)"], runc);
        Assert.Equal(runc, Statuses(a => _rt.Exec(a)));
    }

    [Theory]
    [InlineData("rlink", "invalid rootfs: not an absolute path, or a symlink")]
    [InlineData("nosuch", "invalid rootfs: stat {0}/nosuch: no such file or directory")]
    public void ARootfsThatIsASymlinkOrMissingIsRefused(string path, string error)
    {
        using var b = new Bundle("true");
        File.CreateSymbolicLink(Path.Combine(b.Dir, "rlink"), "rootfs");
        b.Spec.Root!.Path = path;
        b.Write();
        using var runc13 = new Runc13();
        var message = string.Format(error, b.Dir);
        Assert.Contains(message, runc13.Exec("create", "--bundle", b.Dir, "c1").Stderr);
        _rt.AssertCreateFailsCleanly(b, message);
    }

    [Fact]
    public void EveryExecFailureIsExecFailedWithExit255()
    {
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        List<string> Failures(Func<string[], CommandResult> exec)
        {
            return With(exec, b, start: true, () => new[] { new[] { "exec", "nope", "true" }, ["exec", "--user", "nobody", "c1", "true"],
                    ["exec", "--user", "1:x", "c1", "true"], ["exec", "--additional-gids", "-5", "c1", "true"] }
                .Select(a => Outcome(exec(a))).ToList());
        }
        var runc = Failures(a => runc13.Exec(a));
        Assert.Equal(["255 exec failed: container does not exist", "255 exec failed: bad uid: strconv.Atoi: parsing \"nobody\": invalid syntax",
            "255 exec failed: bad gid: strconv.Atoi: parsing \"x\": invalid syntax", "255 exec failed: additional-gids must be a positive number -5"], runc);
        Assert.Equal(runc, Failures(a => _rt.Exec(a)));
    }

    [Fact]
    public void AForegroundTerminalWithoutATerminalToRelayToFailsAsInRunc()
    {
        // setsid: no controlling terminal, and stdio are pipes, so there is no terminal at all.
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        CommandResult NoTty(string bin, string root, params string[] args) => Run.Program("setsid", ["-w", bin, "--root", root, .. args]);
        string[] Answers(string bin, string root) => With(a => NoTty(bin, root, a), b, start: true, () =>
        {
            var exec = Outcome(NoTty(bin, root, "exec", "-t", "c1", "true"));
            b.Spec.Process!.Terminal = true;
            b.Spec.Linux!.CgroupsPath += "-t";
            b.Write();
            try
            {
                var run = NoTty(bin, root, "run", "--bundle", b.Dir, "t1");
                NoTty(bin, root, "delete", "--force", "t1");
                return new[] { exec, $"{run.ExitCode} {run.Stderr.Contains("open /dev/tty: no such device or address")}" };
            }
            finally
            {
                b.Spec.Process.Terminal = false;
                b.Spec.Linux.CgroupsPath = b.Spec.Linux.CgroupsPath[..^2];
                b.Write();
            }
        });
        var runc = Answers(TestEnv.Runc13, runc13.Root);
        Assert.Equal(["255 exec failed: open /dev/tty: no such device or address", "1 True"], runc);
        Assert.Equal(runc, Answers(TestEnv.Bin, _rt.Root));
        Assert.Empty(_rt.Ids());
    }

    [Fact]
    public void ListOfARootThatIsNotThereFailsAsInRunc()
    {
        var missing = "/run/ocirun-it/missing-" + Guid.NewGuid().ToString("n")[..8];
        List<string> Answers(string bin) => new[] { Array.Empty<string>(), ["-q"], ["--format", "json"] }
            .Select(a => Outcome(Run.Program(bin, ["--root", missing, "list", .. a])).Replace(missing, "ROOT")).ToList();
        var runc = Answers(TestEnv.Runc13);
        Assert.Equal(Enumerable.Repeat("1 open ROOT: no such file or directory", 3), runc);
        Assert.Equal(runc, Answers(TestEnv.Bin));
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void KillTakesNumbersAndNamesAsRuncDoes()
    {
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        List<string> Answers(Func<string[], CommandResult> exec)
        {
            // 99 reaches kill(2), which refuses it; names are Go's table's only.
            // -9 after the id is an argument, not a flag (urfave/cli), and kill(2) refuses it.
            return With(exec, b, start: true, () => new[] { "99", "RTMIN+1", "IOT", "0", "+0", "-9" }
                .Select(s => $"{s}: {Outcome(exec(["kill", "c1", s]))}").ToList());
        }
        var runc = Answers(a => runc13.Exec(a));
        Assert.Equal(["99: 1 unable to signal init: invalid argument", "RTMIN+1: 1 unknown signal \"RTMIN+1\"", "IOT: 1 unknown signal \"IOT\"", "0: 0 ",
            "+0: 0 ", "-9: 1 unable to signal init: invalid argument"], runc);
        Assert.Equal(runc, Answers(a => _rt.Exec(a)));
    }

    [Fact]
    public void UpdatePsListAndEventsFailAsRuncDoes()
    {
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        List<string> Answers(Func<string[], CommandResult> exec)
        {
            return With(exec, b, start: true, () =>
            {
                var answers = new[]
                {
                    new[] { "update", "--memory", "abc", "c1" }, ["ps", "--format", "bad", "c1"], ["list", "--format", "bad"],
                    ["ps", "c1", "--bogus-ps-option"], ["events", "--interval", "0s", "c1"],
                }.Select(a => Outcome(exec(a))).ToList();
                exec(["kill", "c1", "KILL"]);
                WaitStopped(exec);
                answers.Add(Outcome(exec(["events", "--stats", "c1"])));
                return answers;
            });
        }
        var runc = Answers(a => runc13.Exec(a));
        Assert.Equal("1 invalid value for memory: invalid size: 'abc'", runc[0]);
        Assert.Equal(runc, Answers(a => _rt.Exec(a)));
    }

    [Fact]
    public void EventsStatsHasRunc13sShape()
    {
        // Go's omitempty: zeros and empty lists left out, a limit of "max" is none; cpuset,
        // intel_rdt and network_interfaces always there, in runc's order.
        using var b = new Bundle("sleep", "100");
        using var runc13 = new Runc13();
        string Shape(Func<string[], CommandResult> exec)
        {
            var data = System.Text.Json.Nodes.JsonNode.Parse(With(exec, b, start: true, () => exec(["events", "--stats", "c1"]).Stdout))!["data"]!;
            var parts = new[] { "cpu", "cpuset", "pids", "blkio", "intel_rdt", "network_interfaces" }
                .Select(k => $"{k}={(data[k] is System.Text.Json.Nodes.JsonObject o ? string.Join(",", o.Select(p => p.Key)) : data[k]?.ToJsonString() ?? "null")}");
            return string.Join(" ", data.AsObject().Select(p => p.Key)) + " | " + string.Join(" ", parts)
                + " | throttling=" + data["cpu"]!["throttling"]!.ToJsonString();
        }
        var runc = Shape(a => runc13.Exec(a));
        Assert.StartsWith("cpu cpuset memory pids blkio hugetlb intel_rdt network_interfaces |", runc);
        Assert.Equal(runc, Shape(a => _rt.Exec(a)));
    }

    [Fact]
    public void UnknownCapabilitiesAreLeftOutWithAWarning()
    {
        // Names are exact: a typo or a lowercase name grants nothing, and the container runs.
        using var b = new Bundle("grep", "CapBnd", "/proc/self/status");
        foreach (var set in new[] { b.Spec.Process!.Capabilities!.Bounding!, b.Spec.Process.Capabilities.Effective!, b.Spec.Process.Capabilities.Permitted! })
        {
            set.Clear();
            set.AddRange(["CAP_KILL", "cap_sys_admin", "CAP_FOO"]);
        }
        b.Write();
        using var runc13 = new Runc13();
        var runc = runc13.Exec("run", "--bundle", b.Dir, "c1");
        var ours = _rt.Exec("run", "--bundle", b.Dir, "c1");
        Assert.Equal((0, "CapBnd:\t0000000000000020\n"), (runc.ExitCode, runc.Stdout));
        Assert.Equal((runc.ExitCode, runc.Stdout), (ours.ExitCode, ours.Stdout));
        Assert.Contains("level=warning msg=\"ignoring unknown or unavailable capabilities: [CAP_FOO cap_sys_admin]\"", runc.Stderr);
        Assert.Equal("ignoring unknown or unavailable capabilities: [CAP_FOO cap_sys_admin]\n", ours.Stderr);
    }

    [Fact]
    public void PsOfAContainerWithNoProcessesIsNullInJson()
    {
        using var b = new Bundle("true");
        using var runc13 = new Runc13();
        string Ps(Func<string[], CommandResult> exec)
        {
            // Stopped: its init gone, nothing left in the cgroup.
            return With(exec, b, start: true, () =>
            {
                WaitStopped(exec);
                return exec(["ps", "--format", "json", "c1"]).Stdout;
            });
        }
        Assert.Equal("null\n", Ps(a => runc13.Exec(a)));
        Assert.Equal("null\n", Ps(a => _rt.Exec(a)));
    }

    [Fact]
    public void DefaultsIsAMountOptionThatSetsNothing()
    {
        // Passed on to tmpfs, the kernel refused it (EINVAL); runc knows it as a no-op.
        using var b = new Bundle().Shell("grep ' /data ' /proc/self/mountinfo | cut -d' ' -f6,9");
        b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["defaults", "nosuid"] });
        b.Write();
        Assert.Equal("rw,nosuid,relatime tmpfs\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void TmpfsTakesTheModeAndWithTmpcopyupTheContentsOfTheDirectoryItCovers()
    {
        using var b = new Bundle().Shell("stat -c '%a' /data /plain; cat /data/sub/f; readlink /data/link; ls /plain | wc -l");
        var data = Path.Combine(b.Rootfs, "data");
        Directory.CreateDirectory(Path.Combine(data, "sub"));
        File.WriteAllText(Path.Combine(data, "sub", "f"), "from the image\n");
        File.CreateSymbolicLink(Path.Combine(data, "link"), "sub/f");
        File.SetUnixFileMode(data, (UnixFileMode)0x1e8 /* 0750 */);
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "plain"));
        File.WriteAllText(Path.Combine(b.Rootfs, "plain", "hidden"), "x");
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "plain"), (UnixFileMode)0x1c0 /* 0700 */);
        b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["tmpcopyup"] });
        b.Spec.Mounts.Add(new Mount { Destination = "/plain", Type = "tmpfs", Source = "tmpfs" });
        b.Write();
        Assert.Equal("750\n700\nfrom the image\nsub/f\n0\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void WithoutAMountNamespaceTheContainerStartsAndTheHostGetsNoMounts()
    {
        // The runtime-tools linux_ns_itype case: no namespaces at all, the spec's mounts kept.
        // runc makes those mounts in the host's mount namespace; ocirun makes none, and reaches
        // the exec fifo through the /proc it had before the chroot.
        using var b = new Bundle("sh", "-c", "echo started > /started");
        b.Spec.Linux!.Namespaces = [];
        b.Spec.Hostname = null;
        b.Spec.Linux.MaskedPaths = null;
        b.Spec.Linux.ReadonlyPaths = null;
        b.Spec.Root!.Readonly = false;
        b.Write();
        _rt.Ok("create", "--bundle", b.Dir, "c1");
        Assert.Equal("created", JsonDocument(_rt.Ok("state", "c1").Stdout).GetProperty("status").GetString());
        Assert.DoesNotContain(b.Rootfs, File.ReadAllText("/proc/self/mountinfo"));
        _rt.Ok("start", "c1");
        LifecycleTests.WaitFor(() => File.Exists(Path.Combine(b.Rootfs, "started")));
    }

    private static System.Text.Json.JsonElement JsonDocument(string text) => System.Text.Json.JsonDocument.Parse(text).RootElement;

    [Fact]
    public void AMountNamespaceJoinedByPathGetsTheSpecsMounts()
    {
        // A mount namespace of a process this test starts (private, gone when it ends).
        var holder = Run.Start("unshare", ["--mount", "--propagation", "private", "sleep", "300"]);
        try
        {
            var ns = $"/proc/{holder.Pid}/ns/mnt";
            LifecycleTests.WaitFor(() => new FileInfo(ns).LinkTarget != new FileInfo("/proc/self/ns/mnt").LinkTarget);
            using var b = new Bundle().Shell("grep -c ' /marker ' /proc/self/mountinfo");
            b.Spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "mount", Path = ns });
            b.Spec.Mounts!.Add(new Mount { Destination = "/marker", Type = "tmpfs", Source = "tmpfs" });
            b.Write();
            Assert.Equal("1\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
        }
        finally
        {
            holder.Dispose();
        }
    }

    [Fact]
    public void DeleteForceOfAContainerInTheHostPidNamespaceKillsWhatItsInitLeft()
    {
        using var b = new Bundle().Shell("sleep 4321 & exec sleep 1");
        b.Spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid");
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        LifecycleTests.WaitFor(() => _rt.Ok("state", "c1").Stdout.Contains("\"stopped\""));
        var left = File.ReadAllLines($"/sys/fs/cgroup/pids{b.Spec.Linux.CgroupsPath}/cgroup.procs");
        Assert.Single(left);
        var kill = _rt.Exec("kill", "c1", "KILL");
        Assert.Contains("container not running", kill.Stderr);
        _rt.Ok("delete", "--force", "c1");
        // Dead: gone, or a zombie until whoever inherited it reaps it.
        LifecycleTests.WaitFor(() => !File.Exists($"/proc/{left[0]}/stat") || File.ReadAllText($"/proc/{left[0]}/stat").Split(") ")[1][0] == 'Z');
    }

    [Fact]
    public void ExecAppliesTheContainersPersonality()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Personality = new Personality { Domain = "LINUX32" };
        b.Write();
        _rt.RunDetached(b.Dir, "c1", "sleep");
        Assert.Equal("i686\n", _rt.Ok("exec", "c1", "uname", "-m").Stdout);
    }

    /// <summary>Container c1 of b, created or run detached by exec's runtime, for body; deleted after, whatever happens.</summary>
    private static T With<T>(Func<string[], CommandResult> exec, Bundle b, bool start, Func<T> body)
    {
        exec(start ? ["run", "--detach", "--bundle", b.Dir, "c1"] : ["create", "--bundle", b.Dir, "c1"]).EnsureSuccess();
        try
        {
            return body();
        }
        finally
        {
            exec(["delete", "--force", "c1"]);
        }
    }

    /// <summary>
    /// Exit code and first line of stderr; runc's logrus line reduced to its message as ocirun
    /// prints it (quotes unescaped; a message of several lines is on one there, breaks as \n).
    /// </summary>
    private static string Outcome(CommandResult r)
    {
        var line = r.Stderr.Split('\n')[0];
        var logrus = System.Text.RegularExpressions.Regex.Match(line, "^time=\\S+ level=error msg=\"(.*)\"$");
        if (logrus.Success)
        {
            line = logrus.Groups[1].Value.Replace("\\\"", "\"").Split("\\n")[0];
        }
        return $"{r.ExitCode} {line}";
    }

    private static void WaitStopped(Func<string[], CommandResult> exec) =>
        LifecycleTests.WaitFor(() => !exec(["state", "c1"]).Stdout.Contains("\"running\""));
}
