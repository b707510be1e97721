using Ocirun.Runtime.Seccomp;
using Ocirun.Spec;
using Ocirun.Spec.Known;
using Ocirun.Spec.Model;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests.Seccomp;

public sealed class SeccompCompilerTests
{
    private static Spec.Model.Seccomp Profile(params SeccompSyscall[] rules) =>
        new() { DefaultAction = "SCMP_ACT_ERRNO", DefaultErrnoRet = 38, Architectures = ["SCMP_ARCH_X86_64"], Syscalls = rules.ToList() };

    [Fact]
    public void CompilesToWholeBpfInstructions()
    {
        var p = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["read", "write"], Action = "SCMP_ACT_ALLOW" }));
        Assert.NotEmpty(p.Bpf);
        Assert.Equal(0, p.Bpf.Length % 8);
        Assert.Equal(0u, p.Flags);
    }

    [Fact]
    public void MoreRulesMakeALongerProgram()
    {
        var small = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["read"], Action = "SCMP_ACT_ALLOW" }));
        var big = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["read", "write", "openat", "close"], Action = "SCMP_ACT_ALLOW" }));
        Assert.True(big.Bpf.Length > small.Bpf.Length);
    }

    [Fact]
    public void RulesRepeatingTheDefaultAndUnknownSyscallsAreSkipped()
    {
        var baseline = SeccompCompiler.Compile(Profile());
        var same = SeccompCompiler.Compile(Profile(
            new SeccompSyscall { Names = ["read"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 38 },
            new SeccompSyscall { Names = ["no_such_syscall_ever"], Action = "SCMP_ACT_ALLOW" }));
        // The filter itself is unchanged; only the ENOSYS stub in front learns that "read" is known.
        Assert.Equal(baseline.Bpf, same.Bpf[EnosysStub.For(0).Length..]);
    }

    [Fact]
    public void DenyingProfilesGetTheEnosysStubAllowingOnesDoNot()
    {
        var rule = new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 };
        var denying = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["read"], Action = "SCMP_ACT_ALLOW" }));
        Assert.Equal(EnosysStub.For(0 /* read */), denying.Bpf[..48]);
        var allowing = SeccompCompiler.Compile(new Spec.Model.Seccomp { DefaultAction = "SCMP_ACT_ALLOW", Syscalls = [rule] });
        Assert.NotEqual(EnosysStub.For(83 /* mkdir */), allowing.Bpf[..48]);
    }

    [Fact]
    public void ErrnoIsPartOfTheProgram()
    {
        var a = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }));
        var b = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 28 }));
        Assert.NotEqual(a.Bpf, b.Bpf);
    }

    [Fact]
    public void FlagsMapToSeccompFilterFlags()
    {
        var p = Profile();
        p.Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];
        Assert.Equal(6u, SeccompCompiler.Compile(p).Flags); // TSYNC is ignored, as by runc
    }

    [Fact]
    public void WaitKillableRecvGoesWithAListenerOnly()
    {
        var p = Profile();
        p.Flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"];
        Assert.Equal(0u, SeccompCompiler.Compile(p).Flags);
        var n = Profile(new SeccompSyscall { Names = ["mkdir"], Action = "SCMP_ACT_NOTIFY" });
        n.Flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"];
        n.ListenerPath = "/run/agent.sock";
        Assert.Equal(SeccompCompiler.NewListener | 32u, SeccompCompiler.Compile(n).Flags);
    }

    [Fact]
    public void RepeatedArgumentIndexBecomesSeparateRules()
    {
        var args = new List<SeccompArg>
        {
            new() { Index = 0, Value = 0, Op = "SCMP_CMP_EQ" }, new() { Index = 0, Value = 8, Op = "SCMP_CMP_EQ" },
        };
        var p = SeccompCompiler.Compile(Profile(new SeccompSyscall { Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = args }));
        Assert.NotEmpty(p.Bpf);
    }

    [Theory]
    [InlineData("SCMP_ACT_ALLOW", null, 0x7fff0000u)]
    [InlineData("SCMP_ACT_ERRNO", null, 0x00050001u)]
    [InlineData("SCMP_ACT_ERRNO", 28u, 0x0005001cu)]
    [InlineData("SCMP_ACT_KILL_PROCESS", null, 0x80000000u)]
    [InlineData("SCMP_ACT_KILL", null, 0u)]
    [InlineData("SCMP_ACT_LOG", null, 0x7ffc0000u)]
    [InlineData("SCMP_ACT_TRAP", null, 0x00030000u)]
    public void ActionValues(string action, uint? errno, uint expected) => Assert.Equal(expected, SeccompNames.Action(action, errno));

    [Theory]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_NOPE\"}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_BOGUS\"]}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}")]
    [InlineData("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]}")]
    public void InvalidProfilesAreRejected(string json)
    {
        var profile = SpecJson.Parse(json, SpecJsonContext.Default.Seccomp);
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.CheckSeccomp(profile));
        Assert.Equal("seccomp", e.Rule);
    }
}
