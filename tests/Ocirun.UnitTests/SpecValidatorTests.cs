using Ocirun.Spec;
using Ocirun.Spec.Known;
using Ocirun.Spec.Model;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>SpecValidator rule by rule, starting from a spec that passes and changing one thing.</summary>
public class SpecValidatorTests
{
    private static string RuleOf(Action<Spec.Model.Spec> change, bool requireProcess = true)
    {
        var spec = TestHelpers.MinimalSpec();
        change(spec);
        return Assert.Throws<SpecValidationException>(() => SpecValidator.Validate(spec, requireProcess)).Rule;
    }

    private static void Passes(Action<Spec.Model.Spec> change)
    {
        var spec = TestHelpers.MinimalSpec();
        change(spec);
        SpecValidator.Validate(spec);
    }

    private static void RemoveNamespace(Spec.Model.Spec s, string type) => s.Linux!.Namespaces!.RemoveAll(n => n.Type == type);

    [Fact]
    public void MinimalSpecPasses() => Passes(_ => { });

    [Fact]
    public void IdsAboveIntMaxAreRefused()
    {
        Assert.Equal("process-user", RuleOf(s => s.Process!.User.Uid = uint.MaxValue));
        Assert.Equal("process-user", RuleOf(s => s.Process!.User.Gid = 2147483648));
        Assert.Equal("process-user", RuleOf(s => s.Process!.User.AdditionalGids = [1, uint.MaxValue]));
        Passes(s => s.Process!.User.Uid = int.MaxValue);
    }

    [Fact]
    public void IdMappingsEndBelowMinusOne()
    {
        static void User(Spec.Model.Spec s, uint c, uint h, uint size)
        {
            s.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
            s.Linux.UidMappings = [new IdMapping { ContainerId = c, HostId = h, Size = size }];
            s.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 0, Size = 1 }];
        }
        Assert.Equal("userns-mappings", RuleOf(s => User(s, 0, uint.MaxValue, 1)));
        Assert.Equal("userns-mappings", RuleOf(s => User(s, 0, 4294967000, 1000)));
        Passes(s => User(s, 0, 0, uint.MaxValue));
        Passes(s => User(s, 0, 100000, 65536));
    }

    [Theory]
    [InlineData("x", "rwm")]
    [InlineData("c", "rwa")]
    public void DeviceRulesWithUnknownTypesOrAccessAreRefused(string type, string access) =>
        Assert.Equal("device-rule", RuleOf(s => s.Linux!.Resources = new Resources
            { Devices = [new DeviceCgroup { Allow = true, Type = type, Access = access }] }));

    [Fact]
    public void ProcessIsOptionalOnlyWhenNotRequired()
    {
        Assert.Equal("process", RuleOf(s => s.Process = null));
        var spec = TestHelpers.MinimalSpec();
        spec.Process = null;
        SpecValidator.Validate(spec, requireProcess: false);
    }

    [Fact]
    public void ProcessGivenIsCheckedEvenWhenNotRequired() =>
        Assert.Equal("process-cwd", RuleOf(s => s.Process!.Cwd = "rel", requireProcess: false));

    [Theory]
    [InlineData("")]
    [InlineData("tmp")]
    [InlineData("./")]
    public void CwdMustBeAbsolute(string cwd) => Assert.Equal("process-cwd", RuleOf(s => s.Process!.Cwd = cwd));

    [Fact]
    public void FirstArgMustNotBeEmpty() => Assert.Equal("process-args", RuleOf(s => s.Process!.Args = [""]));

    [Theory]
    [InlineData("NOEQUALS")]
    [InlineData("=value")]
    public void EnvEntriesNeedKeyAndEquals(string entry) =>
        Assert.Equal("process-env", RuleOf(s => s.Process!.Env = ["A=1", entry]));

    [Fact]
    public void EnvWithEmptyValueIsFine() => Passes(s => s.Process!.Env = ["EMPTY=", "A=b=c"]);

    [Theory]
    [InlineData(-1001, false)]
    [InlineData(-1000, true)]
    [InlineData(1000, true)]
    [InlineData(1001, false)]
    public void OomScoreAdjRange(int value, bool ok)
    {
        if (ok)
        {
            Passes(s => s.Process!.OomScoreAdj = value);
        }
        else
        {
            Assert.Equal("process-oom", RuleOf(s => s.Process!.OomScoreAdj = value));
        }
    }

    [Fact]
    public void RlimitsEqualSoftAndHardPass() =>
        Passes(s => s.Process!.Rlimits = [new Rlimit { Type = "RLIMIT_CORE", Soft = 5, Hard = 5 }]);

    [Fact]
    public void RlimitTypeIsCaseSensitive() =>
        Assert.Equal("rlimit-type", RuleOf(s => s.Process!.Rlimits = [new Rlimit { Type = "rlimit_nofile" }]));

    [Fact]
    public void AnUnknownCapabilityIsNoValidationError() =>
        // runc warns and goes on without it (CapabilitySetTests: which names are left out).
        Passes(s => s.Process!.Capabilities = new Capabilities { Ambient = ["CAP_NOPE"] });

    [Fact]
    public void NamespacePathMustBeAbsolute() =>
        Assert.Equal("namespace-path", RuleOf(s => s.Linux!.Namespaces![0].Path = "proc/1/ns/pid"));

    [Fact]
    public void HostnameNeedsUtsNamespace()
    {
        Assert.Equal("hostname-uts", RuleOf(s => { s.Hostname = "h"; RemoveNamespace(s, "uts"); }));
        Assert.Equal("hostname-uts", RuleOf(s => { s.Domainname = "example.org"; RemoveNamespace(s, "uts"); }));
        Passes(s => { s.Hostname = "h"; s.Domainname = "example.org"; });
    }

    [Fact]
    public void MappingsWithoutUserNamespaceAreRejected() => Assert.Equal("userns-mappings", RuleOf(s =>
        s.Linux!.GidMappings = [new IdMapping { ContainerId = 0, HostId = 1000, Size = 1 }]));

    [Fact]
    public void UserNamespaceNeedsBothMappings() => Assert.Equal("userns-mappings", RuleOf(s =>
    {
        s.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        s.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
    }));

    [Fact]
    public void JoinedUserNamespaceNeedsNoMappings() =>
        Passes(s => s.Linux!.Namespaces!.Add(new Namespace { Type = "user", Path = "/proc/42/ns/user" }));

    [Fact]
    public void MappingSizeMustBePositive() => Assert.Equal("userns-mappings", RuleOf(s =>
    {
        s.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        s.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];
        s.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 1000, Size = 0 }];
    }));

    [Theory]
    [InlineData("net.ipv4.ip_forward", NamespaceTypes.Network)]
    [InlineData("net/ipv4/ip_forward", NamespaceTypes.Network)]
    [InlineData("net.core.somaxconn", NamespaceTypes.Network)]
    [InlineData("fs.mqueue.msg_max", NamespaceTypes.Ipc)]
    [InlineData("kernel.msgmax", NamespaceTypes.Ipc)]
    [InlineData("kernel.shm_rmid_forced", NamespaceTypes.Ipc)]
    [InlineData("kernel/sem", NamespaceTypes.Ipc)]
    [InlineData("kernel.hostname", NamespaceTypes.Uts)]
    [InlineData("kernel.domainname", NamespaceTypes.Uts)]
    [InlineData("kernel.panic", null)]
    [InlineData("vm.overcommit_memory", null)]
    [InlineData("fs.file-max", null)]
    [InlineData("network.foo", null)]
    public void SysctlNamespaceMapping(string key, string? ns) => Assert.Equal(ns, SpecValidator.SysctlNamespace(key));

    [Theory]
    [InlineData("net.ipv4.ip_forward", "network")]
    [InlineData("kernel.shmmax", "ipc")]
    [InlineData("kernel.domainname", "uts")]
    public void SysctlNeedsItsNamespace(string key, string ns)
    {
        Passes(s => s.Linux!.Sysctl = new() { [key] = "1" });
        Assert.Equal("sysctl", RuleOf(s => { s.Linux!.Sysctl = new() { [key] = "1" }; RemoveNamespace(s, ns); s.Hostname = null; }));
    }

    [Theory]
    [InlineData("net..ipv4")]
    [InlineData("net/ipv4/conf/eth0.100/forwarding")]
    public void SysctlMalformedNamesAreRejected(string key) =>
        Assert.Equal("sysctl", RuleOf(s => s.Linux!.Sysctl = new() { [key] = "1" }));

    [Theory]
    [InlineData("rslave", true)]
    [InlineData("private", true)]
    [InlineData("runbindable", true)]
    [InlineData("RSLAVE", false)]
    [InlineData("recursive", false)]
    public void RootfsPropagationValues(string value, bool ok)
    {
        if (ok)
        {
            Passes(s => s.Linux!.RootfsPropagation = value);
        }
        else
        {
            Assert.Equal("rootfs-propagation", RuleOf(s => s.Linux!.RootfsPropagation = value));
        }
    }

    [Theory]
    [InlineData("c", "/dev/fuse", null)]
    [InlineData("b", "/dev/sda", null)]
    [InlineData("u", "/dev/tty9", null)]
    [InlineData("p", "/dev/fifo", null)]
    [InlineData("d", "/dev/x", "device-type")]
    [InlineData("", "/dev/x", "device-type")]
    [InlineData("c", "/tmp/fuse", "device-path")]
    [InlineData("c", "dev/fuse", "device-path")]
    [InlineData("c", "/devices/fuse", "device-path")]
    public void DeviceTypeAndPath(string type, string path, string? rule)
    {
        void Add(Spec.Model.Spec s) => s.Linux!.Devices = [new Device { Type = type, Path = path, Major = 10, Minor = 229 }];
        if (rule == null)
        {
            Passes(Add);
        }
        else
        {
            Assert.Equal(rule, RuleOf(Add));
        }
    }

    /// <summary>
    /// BUG: CheckDevices only tests the "/dev/" prefix, so "/dev/../etc/passwd" passes and MountPlanner
    /// (which normalizes paths) then creates a device node at /etc/passwd in the container.
    /// </summary>
    [Fact]
    public void DevicePathMayNotLeaveDevWithDotDot() => Assert.Equal("device-path", RuleOf(s =>
        s.Linux!.Devices = [new Device { Type = "c", Path = "/dev/../etc/passwd", Major = 1, Minor = 3 }]));

    [Fact]
    public void TimeOffsetsNeedANewTimeNamespace()
    {
        var offsets = new Dictionary<string, TimeOffset> { ["monotonic"] = new() { Secs = 5 } };
        Assert.Equal("time-offsets", RuleOf(s => s.Linux!.TimeOffsets = offsets));
        Assert.Equal("time-offsets", RuleOf(s =>
        {
            s.Linux!.TimeOffsets = offsets;
            s.Linux.Namespaces!.Add(new Namespace { Type = "time", Path = "/proc/1/ns/time" });
        }));
        Passes(s =>
        {
            s.Linux!.TimeOffsets = offsets;
            s.Linux.Namespaces!.Add(new Namespace { Type = "time" });
        });
    }

    [Fact]
    public void TimeOffsetsOnlyKnowTwoClocks() => Assert.Equal("time-offsets", RuleOf(s =>
    {
        s.Linux!.TimeOffsets = new() { ["realtime"] = new() { Secs = 5 } };
        s.Linux.Namespaces!.Add(new Namespace { Type = "time" });
    }));

    [Fact]
    public void EveryHookListIsChecked()
    {
        Assert.Equal("hook-path", RuleOf(s => s.Hooks = new Hooks { StartContainer = [new Hook { Path = "hook.sh" }] }));
        Assert.Equal("hook-path", RuleOf(s => s.Hooks = new Hooks
        {
            Prestart = [new Hook { Path = "/bin/ok" }], CreateContainer = [new Hook { Path = "./hook" }],
        }));
        Assert.Equal("hook-timeout", RuleOf(s => s.Hooks = new Hooks { Poststart = [new Hook { Path = "/bin/h", Timeout = -1 }] }));
        Passes(s => s.Hooks = new Hooks { Poststop = [new Hook { Path = "/bin/h", Timeout = 1 }] });
    }

    [Fact]
    public void IdmappedMountsFollowRuncsRules()
    {
        IdMapping[] map = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        // Only one of the two mappings.
        Assert.Equal("mount-idmap", RuleOf(s =>
            s.Mounts = [new Mount { Destination = "/data", Source = "/data", Options = ["bind"], GidMappings = [.. map] }]));
        // Not a bind.
        Assert.Equal("mount-idmap", RuleOf(s =>
            s.Mounts = [new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["idmap"] }]));
        // Implied mappings need a user namespace.
        Assert.Equal("mount-idmap", RuleOf(s =>
            s.Mounts = [new Mount { Destination = "/data", Source = "/data", Options = ["rbind", "ridmap"] }]));
        Passes(s => s.Mounts = [new Mount { Destination = "/data", Source = "/data", Options = ["bind", "idmap"], UidMappings = [.. map], GidMappings = [.. map] }]);
        Passes(s => s.Mounts = [new Mount { Destination = "/data", Source = "/data", Options = ["bind"], UidMappings = [.. map], GidMappings = [.. map] }]);
    }

    [Fact]
    public void FirstFailingRuleWins() => Assert.Equal("oci-version", RuleOf(s =>
    {
        s.OciVersion = "3.0.0";
        s.Process!.Cwd = "relative";
    }));
}
