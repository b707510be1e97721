using Ocirun.Runtime.Container;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>DefaultSpec: the config.json `spec` and `spec --rootless` write.</summary>
public class DefaultSpecTests
{
    [Fact]
    public void CreateValidates()
    {
        var s = DefaultSpec.Create();
        SpecValidator.Validate(s);
        SpecValidator.Validate(TestHelpers.RoundTrip(s));
        Assert.Equal(DefaultSpec.SpecVersion, s.OciVersion);
    }

    [Fact]
    public void CreateReturnsFreshObjects()
    {
        var a = DefaultSpec.Create();
        a.Mounts!.Clear();
        a.Process!.Capabilities!.Bounding!.Add("CAP_SYS_ADMIN");
        var b = DefaultSpec.Create();
        Assert.Equal(7, b.Mounts!.Count);
        Assert.DoesNotContain("CAP_SYS_ADMIN", b.Process!.Capabilities!.Bounding!);
    }

    [Fact]
    public void RootlessHasUserNamespaceAndMappings()
    {
        var s = DefaultSpec.Rootless(1000, 1001);
        SpecValidator.Validate(s);
        var types = s.Linux!.Namespaces!.Select(n => n.Type).ToList();
        Assert.Contains("user", types);
        Assert.DoesNotContain("network", types);
        Assert.DoesNotContain("cgroup", types);
        Assert.Equal((0u, 1000u, 1u), (s.Linux.UidMappings!.Single().ContainerId, s.Linux.UidMappings![0].HostId, s.Linux.UidMappings[0].Size));
        Assert.Equal((0u, 1001u, 1u), (s.Linux.GidMappings!.Single().ContainerId, s.Linux.GidMappings![0].HostId, s.Linux.GidMappings[0].Size));
        Assert.Null(s.Linux.Resources);
    }

    [Fact]
    public void RootlessMountsNeedNoPrivilege()
    {
        var s = DefaultSpec.Rootless(1000, 1000);
        // runc 1.3.6 keeps the cgroup mount, read-only (bound from the host where it cannot be mounted).
        Assert.Contains("ro", s.Mounts!.Single(m => m.Destination == "/sys/fs/cgroup").Options!);
        var sys = s.Mounts!.Single(m => m.Destination == "/sys");
        Assert.Equal(("none", "/sys"), (sys.Type, sys.Source));
        Assert.Contains("rbind", sys.Options!);
        Assert.DoesNotContain("gid=5", s.Mounts!.Single(m => m.Destination == "/dev/pts").Options!);
        // The shared default is untouched by the rootless edits.
        Assert.Contains("gid=5", DefaultSpec.Create().Mounts!.Single(m => m.Destination == "/dev/pts").Options!);
    }
}
