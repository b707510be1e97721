using Ocirun.Runtime.Container;
using Ocirun.Spec;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>The config.json files under oci-specs/fixtures: valid ones parse and validate, each invalid one fails its rule.</summary>
public class SpecFixtureTests
{
    /// <summary>Every rule name SpecValidator and SpecJson report; each has at least one invalid fixture.</summary>
    private static readonly string[] Rules =
    {
        "json", "oci-version", "root", "process", "process-args", "process-cwd", "process-env", "process-oom",
        "rlimit-type", "rlimit-duplicate", "rlimit-soft", "namespace-type", "namespace-duplicate",
        "namespace-path", "hostname-uts", "mount-destination", "mount-idmap", "userns-mappings", "sysctl",
        "rootfs-propagation", "device-type", "device-path", "time-offsets", "hook-path", "hook-timeout",
    };

    public static TheoryData<string> ValidFiles() => new(Files("valid"));

    public static TheoryData<string> InvalidFiles() => new(Files("invalid"));

    private static string[] Files(string dir) =>
        Directory.GetFiles(Path.Combine(TestHelpers.FixturesDir, dir), "*.json").Select(f => Path.GetFileName(f)).Order().ToArray();

    /// <summary>The rule a fixture is named after: the longest rule that is the whole name or a "rule-" prefix of it.</summary>
    private static string ExpectedRule(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return Rules.Where(r => name == r || name.StartsWith(r + "-", StringComparison.Ordinal))
            .OrderByDescending(r => r.Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"fixture {file} is not named after a rule");
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void ValidFixtureParsesAndValidates(string file)
    {
        var spec = SpecJson.ParseSpec(TestHelpers.Fixture(Path.Combine("valid", file)));
        SpecValidator.Validate(spec);
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void InvalidFixtureFailsWithItsRule(string file)
    {
        var e = Assert.Throws<SpecValidationException>(() =>
            SpecValidator.Validate(SpecJson.ParseSpec(TestHelpers.Fixture(Path.Combine("invalid", file)))));
        Assert.Equal(ExpectedRule(file), e.Rule);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void EveryRuleHasAnInvalidFixture()
    {
        var covered = Files("invalid").Select(ExpectedRule).ToHashSet();
        Assert.All(Rules, r => Assert.Contains(r, covered));
    }

    [Fact]
    public void RuncSpecFixtureIsWhatSpecCommandWrites()
    {
        var expected = TestHelpers.Fixture("valid/runc-spec.json").TrimEnd();
        var actual = System.Text.Json.JsonSerializer.Serialize(DefaultSpec.Create(), SpecJsonContext.Default.Spec);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void PodmanFixtureKeepsEverySection()
    {
        var s = SpecJson.ParseSpec(TestHelpers.Fixture("valid/podman-config.json"));
        Assert.Equal("1.0.2-dev", s.OciVersion);
        Assert.Equal(13, s.Mounts!.Count);
        Assert.Equal(["bind", "rprivate", "nosuid", "noexec", "nodev"], s.Mounts!.Single(m => m.Destination == "/dev/shm").Options!);
        Assert.Equal(18u, s.Process!.User.Umask);
        Assert.Equal([1000u, 10u], s.Process.User.AdditionalGids!);
        Assert.Equal(["RLIMIT_NOFILE", "RLIMIT_NPROC"], s.Process.Rlimits!.Select(r => r.Type));
        Assert.Equal(1048576ul, s.Process.Rlimits![0].Soft);
        Assert.Empty(s.Process.Capabilities!.Ambient!);
        Assert.Equal(10, s.Hooks!.Prestart!.Single().Timeout);
        Assert.Null(s.Hooks.CreateRuntime!.Single().Timeout);
        Assert.Equal(6, s.Hooks.Poststop!.Single().Args!.Count);
        Assert.Equal("libpod", s.Annotations!["io.container.manager"]);
    }

    [Fact]
    public void PodmanFixtureLinuxSection()
    {
        var l = SpecJson.ParseSpec(TestHelpers.Fixture("valid/podman-config.json")).Linux!;
        Assert.Equal((0u, 100000u, 65536u), (l.UidMappings![0].ContainerId, l.UidMappings[0].HostId, l.UidMappings[0].Size));
        Assert.Equal("80", l.Sysctl!["net/ipv4/ip_unprivileged_port_start"]);
        Assert.Equal(536870912L, l.Resources!.Memory!.Limit);
        Assert.Equal(50000L, l.Resources.Cpu!.Quota);
        Assert.Equal("0-1", l.Resources.Cpu.Cpus);
        Assert.Equal(2048L, l.Resources.Pids!.Limit);
        Assert.Equal(1000ul, l.Resources.BlockIO!.ThrottleReadIopsDevice!.Single().Rate);
        Assert.Equal(10485760ul, l.Resources.BlockIO.ThrottleReadBpsDevice!.Single().Rate);
        Assert.Equal(1048577u, l.Resources.Network!.ClassId);
        Assert.Equal("2MB", l.Resources.HugepageLimits!.Single().PageSize);
        Assert.False(l.Resources.Devices![0].Allow);
        Assert.Equal(229L, l.Resources.Devices[1].Minor);
        Assert.Equal("/run/netns/netns-6a7b8c9d", l.Namespaces!.Single(n => n.Type == "network").Path);
        Assert.Equal(438u, l.Devices!.Single().FileMode);
        Assert.Equal("/libpod_parent/libpod-5f0b7a1d4c3e", l.CgroupsPath);
    }

    [Fact]
    public void PodmanFixtureSeccomp()
    {
        var sc = SpecJson.ParseSpec(TestHelpers.Fixture("valid/podman-config.json")).Linux!.Seccomp!;
        Assert.Equal("SCMP_ACT_ERRNO", sc.DefaultAction);
        Assert.Equal(38u, sc.DefaultErrnoRet);
        Assert.Equal(3, sc.Architectures!.Count);
        var clone = sc.Syscalls!.Single(s => s.Names.Contains("clone"));
        Assert.Equal(1u, clone.ErrnoRet);
        Assert.Equal(("SCMP_CMP_MASKED_EQ", 2114060288ul), (clone.Args![0].Op, clone.Args[0].Value));
        Assert.Equal(4294967295ul, sc.Syscalls!.Single(s => s.Names.Contains("personality")).Args![0].Value);
    }

    [Fact]
    public void CommentsAndTrailingCommasAreAccepted()
    {
        var s = SpecJson.ParseSpec(TestHelpers.Fixture("valid/timens-1.2.0.json"));
        Assert.Equal(-3600L, s.Linux!.TimeOffsets!["boottime"].Secs);
        Assert.Equal(500u, s.Linux.TimeOffsets["boottime"].Nanosecs);
        Assert.Equal(["A=1", "B="], s.Process!.Env!);
    }
}
