using System.Text.Json;
using Ocirun.Cli.Commands;
using Ocirun.Runtime.Container;
using Ocirun.Spec;
using Ocirun.Spec.Known;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>FeaturesCommand.Build: the features document `features` prints.</summary>
public class FeaturesTests
{
    [Fact]
    public void VersionRangeIsSupported()
    {
        var f = FeaturesCommand.Build();
        Assert.Equal(DefaultSpec.SpecVersion, f.OciVersionMax);
        Assert.True(SpecValidator.CheckVersion(f.OciVersionMin).CompareTo(SpecValidator.CheckVersion(f.OciVersionMax)) <= 0);
    }

    [Fact]
    public void SerializesWithSpecFieldNames()
    {
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(FeaturesCommand.Build(), SpecJsonContext.Default.Features));
        var root = doc.RootElement;
        Assert.Equal("1.0.0", root.GetProperty("ociVersionMin").GetString());
        Assert.Contains("rbind", root.GetProperty("mountOptions").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("createRuntime", root.GetProperty("hooks").EnumerateArray().Select(e => e.GetString()));
        var linux = root.GetProperty("linux");
        Assert.Equal(8, linux.GetProperty("namespaces").GetArrayLength());
        Assert.True(linux.GetProperty("cgroup").GetProperty("v1").GetBoolean());
        // --systemd-cgroup is implemented (SystemdDriverTests): saying false made tools pick cgroupfs.
        Assert.True(linux.GetProperty("cgroup").GetProperty("systemd").GetBoolean());
        // A user's own systemd too (SystemdRootlessDriverTests).
        Assert.True(linux.GetProperty("cgroup").GetProperty("systemdUser").GetBoolean());
        Assert.Contains("defaults", root.GetProperty("mountOptions").EnumerateArray().Select(e => e.GetString()));
        Assert.True(linux.GetProperty("mountExtensions").GetProperty("idmap").GetProperty("enabled").GetBoolean());
        Assert.False(linux.GetProperty("intelRdt").GetProperty("enabled").GetBoolean());
        Assert.Equal(["org.criu.config", "org.systemd.property."],
            root.GetProperty("potentiallyUnsafeConfigAnnotations").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void ListsWhatTheRuntimeKnows()
    {
        var f = FeaturesCommand.Build();
        Assert.Equal(NamespaceTypes.All.Select(n => n.Type), f.Linux.Namespaces);
        Assert.Equal(CapabilityNames.All, f.Linux.Capabilities);
        Assert.Equal(Runtime.Rootfs.MountOptions.Known, f.MountOptions);
        Assert.Equal(6, f.Hooks.Distinct().Count());
        Assert.True(f.Linux.Seccomp.Enabled);
        Assert.Contains("SCMP_ACT_ERRNO", f.Linux.Seccomp.Actions);
        Assert.Contains("SCMP_ACT_NOTIFY", f.Linux.Seccomp.Actions);
        Assert.Contains("SCMP_CMP_MASKED_EQ", f.Linux.Seccomp.Operators);
        Assert.Contains("SCMP_ARCH_X86_64", f.Linux.Seccomp.Archs);
    }
}
