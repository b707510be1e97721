using Ocirun.Runtime.Seccomp;
using Ocirun.Runtime.Process;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>exec.bin: what `exec` keeps of the container from create.</summary>
public class ExecBaseTests
{
    [Fact]
    public void KeepsWhatAnExecTakesFromTheContainerAndNothingElse()
    {
        var spec = new Spec.Model.Spec
        {
            OciVersion = "1.2.1",
            Root = new Root { Path = "rootfs", Readonly = true },
            Annotations = new() { ["a"] = "b" },
            Hostname = "not-for-exec",
            Process = new Spec.Model.Process { Args = ["sh"], ExecCPUAffinity = new ExecCpuAffinity { Initial = "0", Final = "1" } },
            Linux = new Spec.Model.Linux
            {
                Namespaces = [new Namespace { Type = "pid" }, new Namespace { Type = "network", Path = "/run/netns/x" }],
                Personality = new Personality { Domain = "LINUX32" },
                Seccomp = new Spec.Model.Seccomp { DefaultAction = "SCMP_ACT_ERRNO", ListenerPath = "/run/agent.sock", ListenerMetadata = "m" },
                Sysctl = new() { ["net.ipv4.ip_forward"] = "1" },
            },
        };
        var decoded = ExecBase.Decode(ExecBase.From(spec, new SeccompProgram([1, 2, 3], 4)).Encode());
        var s = decoded.Spec;
        Assert.Equal("1.2.1", s.OciVersion);
        Assert.Equal("rootfs", s.Root!.Path);
        Assert.Equal("b", s.Annotations!["a"]);
        Assert.Equal("1", s.Process!.ExecCPUAffinity!.Final);
        Assert.Equal(["sh"], s.Process.Args!);
        Assert.Equal(["pid", "network"], s.Linux!.Namespaces!.Select(n => n.Type));
        Assert.Equal("/run/netns/x", s.Linux.Namespaces![1].Path);
        Assert.Equal("LINUX32", s.Linux.Personality!.Domain);
        Assert.Equal("/run/agent.sock", s.Linux.Seccomp!.ListenerPath);
        Assert.Equal("m", s.Linux.Seccomp.ListenerMetadata);
        Assert.Equal(new byte[] { 1, 2, 3 }, decoded.Seccomp!.Bpf);
        Assert.Equal(4u, decoded.Seccomp.Flags);
        Assert.Null(s.Hostname);
        Assert.Null(s.Linux.Sysctl);
    }

    [Fact]
    public void WithoutSeccompOrAffinity()
    {
        var decoded = ExecBase.Decode(ExecBase.From(new Spec.Model.Spec { OciVersion = "1.0.2" }, null).Encode());
        Assert.Null(decoded.Seccomp);
        Assert.Null(decoded.Spec.Process);
        Assert.Null(decoded.Spec.Linux!.Namespaces);
        Assert.Null(decoded.Spec.Linux!.Seccomp);
    }

    [Fact]
    public void ATruncatedFileIsRefused()
    {
        var data = ExecBase.From(new Spec.Model.Spec { OciVersion = "1.0.2" }, null).Encode();
        Assert.Throws<InvalidDataException>(() => ExecBase.Decode(data[..^2]));
    }
}
