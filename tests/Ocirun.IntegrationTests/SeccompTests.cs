using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>linux.seccomp: compiled by libseccomp in the parent, loaded by the init before exec.</summary>
public sealed class SeccompTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    private CommandResult RunIn(Bundle b) => _rt.Exec(["run", "--bundle", b.Dir, "c1"], null);

    [Fact]
    public void DeniedSyscallFailsWithTheConfiguredErrnoWhileOthersWork()
    {
        // mkdir is refused with ENOSPC (28); everything else is allowed.
        using var b = new Bundle().Shell("mkdir /tmp/x 2>&1; echo rc=$?; echo still-running");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 28 }],
        };
        b.Write();
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.Contains("No space left on device", r);
        Assert.Contains("rc=1", r);
        Assert.Contains("still-running", r);
    }

    [Fact]
    public void KilledBySeccompDiesWithSigsys()
    {
        using var b = new Bundle().Shell("echo before; exec mkdir /tmp/y");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_KILL_PROCESS" }],
        };
        b.Write();
        var r = RunIn(b);
        Assert.Equal(128 + 31, r.ExitCode);
        Assert.Equal("before\n", r.Stdout);
    }

    [Fact]
    public void ArgumentConditionsSelectTheRule()
    {
        // personality(0xffffffff) only queries; any other persona is refused with EPERM.
        using var b = new Bundle().Shell("uname -m; setarch i386 uname -m 2>&1; echo rc=$?");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls =
            [
                new SeccompSyscall
                {
                    Names = ["personality"], Action = "SCMP_ACT_ERRNO",
                    Args = [new SeccompArg { Index = 0, Value = 0xffffffff, Op = "SCMP_CMP_NE" }],
                },
            ],
        };
        b.Write();
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.StartsWith("x86_64\n", r);
        Assert.Contains("rc=1", r);
    }

    [Fact]
    public void PodmansDefaultProfileLoadsAndDeniesWhatItShould()
    {
        // With CAP_SYS_ADMIN, swapon of /dev/null fails with EINVAL; the profile (as written for
        // a container without that capability) refuses the call itself with EPERM.
        using var b = new Bundle().Shell("echo works; swapon /dev/null 2>&1; echo rc=$?");
        foreach (var set in new[] { b.Spec.Process!.Capabilities!.Bounding!, b.Spec.Process.Capabilities.Effective!,
            b.Spec.Process.Capabilities.Permitted! })
        {
            set.Add("CAP_SYS_ADMIN");
        }
        b.Write();
        Assert.Contains("Invalid argument", RunIn(b).EnsureSuccess().Stdout);

        b.Spec.Linux!.Seccomp = PodmanDefaultProfile();
        b.Write();
        var r = _rt.Exec(["run", "--bundle", b.Dir, "c2"], null).EnsureSuccess().Stdout;
        Assert.StartsWith("works\n", r);
        Assert.Contains("Operation not permitted", r);
        Assert.True(b.Spec.Linux.Seccomp.Syscalls!.Sum(s => s.Names.Count) > 300);
    }

    [Fact]
    public void ExecdProcessesGetTheContainersProfile()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 28 }],
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var r = _rt.Exec("exec", "c1", "sh", "-c", "mkdir /tmp/z 2>&1; grep Seccomp: /proc/self/status");
        Assert.Contains("No space left on device", r.Stdout);
        Assert.Contains("Seccomp:\t2", r.Stdout);
    }

    [Fact]
    public void InvalidProfileIsRejectedBeforeAnythingStarts()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Seccomp = new Seccomp { DefaultAction = "SCMP_ACT_BOGUS" };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "unknown seccomp action \"SCMP_ACT_BOGUS\"");
    }

    /// <summary>
    /// Podman's default profile (containers-common's seccomp.json, Docker's format) turned into
    /// the OCI form Podman itself writes for a root container without extra capabilities.
    /// </summary>
    private static Seccomp PodmanDefaultProfile()
    {
        var doc = JsonDocument.Parse(File.ReadAllText("/usr/share/containers/seccomp.json")).RootElement;
        var profile = new Seccomp
        {
            DefaultAction = doc.GetProperty("defaultAction").GetString()!,
            DefaultErrnoRet = doc.TryGetProperty("defaultErrnoRet", out var de) ? de.GetUInt32() : null,
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Syscalls = [],
        };
        foreach (var s in doc.GetProperty("syscalls").EnumerateArray())
        {
            if (Restricted(s, "includes") || Excluded(s))
            {
                continue;
            }
            profile.Syscalls.Add(new SeccompSyscall
            {
                Names = s.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList(),
                Action = s.GetProperty("action").GetString()!,
                ErrnoRet = s.TryGetProperty("errnoRet", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetUInt32() : null,
                Args = s.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Select(x => new SeccompArg
                    {
                        Index = x.GetProperty("index").GetUInt32(), Value = x.GetProperty("value").GetUInt64(),
                        ValueTwo = x.GetProperty("valueTwo").GetUInt64(), Op = x.GetProperty("op").GetString()!,
                    }).ToList()
                    : null,
            });
        }
        return profile;
    }

    // Rules that need capabilities or other architectures do not apply to a default amd64 container.
    private static bool Restricted(JsonElement s, string key) =>
        s.TryGetProperty(key, out var inc) && inc.ValueKind == JsonValueKind.Object
        && ((inc.TryGetProperty("caps", out var caps) && caps.GetArrayLength() > 0)
            || (inc.TryGetProperty("arches", out var arches) && !arches.EnumerateArray().Any(a => a.GetString() == "amd64"))
            || (inc.TryGetProperty("minKernel", out _)));

    private static bool Excluded(JsonElement s) =>
        s.TryGetProperty("excludes", out var exc) && exc.ValueKind == JsonValueKind.Object
        && exc.TryGetProperty("caps", out var caps) && caps.EnumerateArray().Any(c => c.GetString() is "CAP_AUDIT_WRITE" or "CAP_KILL" or "CAP_NET_BIND_SERVICE");
}

/// <summary>seccomp notify: the agent on listenerPath receives the listener fd and the container's state.</summary>
public sealed class SeccompListenerTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    [Fact]
    public async Task ListenerReceivesTheNotifyFdAndState()
    {
        using var b = new Bundle("sleep", "300");
        var sockPath = Path.Combine(b.Dir, "agent.sock");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = sockPath, ListenerMetadata = "meta-1",
            Syscalls = [new SeccompSyscall { Names = ["mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
        };
        b.Write();
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix,
            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(sockPath));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        using var conn = await accept;
        var (fd, json) = Ocirun.Runtime.Linux.FdPassing.Receive((int)conn.Handle);
        try
        {
            Assert.Equal("anon_inode:seccomp notify", new FileInfo($"/proc/self/fd/{fd}").LinkTarget);
            var doc = JsonDocument.Parse(json).RootElement;
            Assert.Equal("seccompFd", doc.GetProperty("fds")[0].GetString());
            Assert.Equal("meta-1", doc.GetProperty("metadata").GetString());
            Assert.Equal("c1", doc.GetProperty("state").GetProperty("id").GetString());
            Assert.True(doc.GetProperty("pid").GetInt32() > 0);
        }
        finally
        {
            new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true).Dispose();
        }
    }

    [Fact]
    public void AProfileThatRefusesFaccessatStillStarts()
    {
        // The init's own checks must not depend on syscalls the container's profile may deny:
        // the exec fifo probe (faccessat2) ran after the filter was loaded and read EPERM as "no /proc".
        using var b = new Bundle("echo", "started");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["faccessat", "faccessat2", "access"], Action = "SCMP_ACT_ERRNO" }],
        };
        b.Write();
        Assert.Equal("started\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void TsyncIsIgnoredAsByRuncSoItWorksWithAListener()
    {
        // The kernel refuses TSYNC with NEW_LISTENER (EINVAL): passed through, this failed.
        using var b = new Bundle("sleep", "300");
        using var agent = new FdReceiver(Path.Combine(b.Dir, "agent.sock"));
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = agent.Path, Flags = ["SECCOMP_FILTER_FLAG_TSYNC"],
            Syscalls = [new SeccompSyscall { Names = ["mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var (fd, _) = agent.Receive();
        Ocirun.Runtime.Interop.Libc.close(fd);
    }

    [Fact]
    public void WaitKillableRecvWithoutAListenerIsDroppedAsLibseccompDoes()
    {
        using var b = new Bundle("sh", "-c", "mkdir /dev/shm/x || echo refused");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW", Flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"],
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO" }],
        };
        b.Write();
        Assert.Contains("refused", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void AnUnknownFlagIsRefusedInRuncsWords()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Seccomp = new Seccomp { DefaultAction = "SCMP_ACT_ALLOW", Flags = ["SECCOMP_FILTER_FLAG_FOO"] };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "seccomp flag SECCOMP_FILTER_FLAG_FOO is not known to runc");
    }

    [Fact]
    public void NotifyOnWriteIsRefusedInsteadOfHanging()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = "/nonexistent/agent.sock",
            Syscalls = [new SeccompSyscall { Names = ["write"], Action = "SCMP_ACT_NOTIFY" }],
        };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "SCMP_ACT_NOTIFY cannot be used for the write syscall", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void AMissingSeccompAgentIsNamed()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW", ListenerPath = "/nonexistent/agent.sock",
            Syscalls = [new SeccompSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
        };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "failed to connect with seccomp agent", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void ASyscallNewerThanTheProfileGetsEnosys()
    {
        // A static program calling syscall 1000 (unknown to every profile): -1 and errno 38 (ENOSYS),
        // not the profile's default errno (EPERM here).
        using var b = new Bundle("/sc");
        var source = Path.Combine(b.Dir, "sc.c");
        File.WriteAllText(source, "#include <stdio.h>\n#include <errno.h>\n#include <unistd.h>\n" +
            "int main(void) { long r = syscall(1000); printf(\"%ld %d\\n\", r, errno); return 0; }\n");
        Run.Program("clang", ["-static", "-O2", "-o", Path.Combine(b.Rootfs, "sc"), source]).EnsureSuccess();
        // Every syscall this kernel's headers name is allowed; only unknown numbers meet the default.
        var allowed = System.Text.RegularExpressions.Regex.Matches(
                File.ReadAllText("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), @"#define __NR_(\w+) \d+")
            .Select(m => m.Groups[1].Value).ToList();
        b.Spec.Linux!.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ERRNO", DefaultErrnoRet = 1,
            Architectures = ["SCMP_ARCH_X86_64"],
            Syscalls = [new SeccompSyscall { Names = [.. allowed], Action = "SCMP_ACT_ALLOW" }],
        };
        b.Write();
        Assert.Equal("-1 38\n", _rt.Exec(["run", "--bundle", b.Dir, "c1"], null).EnsureSuccess().Stdout);
    }
}
