using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// The device-rule emulation against the kernel itself: rules written in order into a v1
/// devices cgroup give the state DeviceState computes, and the v2 program built from that
/// state decides as the v1 controller does.
/// </summary>
public sealed class DeviceRulesKernelTests : IDisposable
{
    private readonly string _name = "ocirun-it-dev-" + Guid.NewGuid().ToString("n")[..8];

    private string V1 => "/sys/fs/cgroup/devices/" + _name;

    private string V2 => "/sys/fs/cgroup/unified/" + _name;

    public void Dispose() => LifecycleTests.WaitFor(() =>
    {
        try
        {
            foreach (var d in new[] { V1, V2 }.Where(Directory.Exists))
            {
                Directory.Delete(d);
            }
            return true;
        }
        catch (IOException)
        {
            return false; // a reaped shell the kernel has not unlinked yet
        }
    });

    private static DeviceCgroup Rule(bool allow, string? type = null, long? major = null, long? minor = null, string access = "rwm") =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    public static TheoryData<int> Sequences => new(Enumerable.Range(0, RuleSequences.Length));

    private static readonly DeviceCgroup[][] RuleSequences =
    [
        [Rule(true, "c", 1, 3)],
        [Rule(true, "c", null, null, "m"), Rule(true, "c", 1, 3, "rw"), Rule(false, "c", 1, 3, "w")],
        [Rule(true, "c", null, null), Rule(false, "c", 1, 3)],
        [Rule(true, "c", 1, 3), Rule(false), Rule(true, "b", 7, null, "r")],
        [Rule(true), Rule(false, "c", 1, 5, "w")],
        [Rule(true, "c", 136, null), Rule(true, "c", 136, null, "m"), Rule(false, "c", 136, null, "r")],
    ];

    [Theory]
    [MemberData(nameof(Sequences))]
    public void EmulationMatchesTheV1Controller(int index)
    {
        var rules = RuleSequences[index];
        Directory.CreateDirectory(V1);
        // Emulation starts from deny-all, as runc's does; the kernel's fresh cgroup allows all.
        File.WriteAllText(Path.Combine(V1, "devices.deny"), "a");
        foreach (var r in rules)
        {
            File.WriteAllText(Path.Combine(V1, r.Allow ? "devices.allow" : "devices.deny"), DeviceRules.Line(r));
        }
        var kernel = DeviceState.Parse(File.ReadAllText(Path.Combine(V1, "devices.list")));
        var emulated = DeviceState.FromRules(rules);
        Assert.Equal(emulated.DefaultAllow, kernel.DefaultAllow);
        if (!kernel.DefaultAllow)
        {
            Assert.True(kernel.SameAs(emulated), File.ReadAllText(Path.Combine(V1, "devices.list")));
        }
    }

    [Fact]
    public void V2ProgramFollowsTheV1Rules()
    {
        // v1: a deny in an allow-list removes only an exact exception, so /dev/null and /dev/zero
        // stay writable through "c *:* rwm" (a last-match program of the raw rules would refuse them).
        var state = DeviceState.FromRules([Rule(false), Rule(true, "c", null, null), Rule(false, "c", 1, 3), Rule(false, "c", 1, 5, "w")]);
        Directory.CreateDirectory(V2);
        DeviceProgramLoader.Attach(V2, DeviceProgram.Build(state.Rules()));
        var node = $"/tmp/{_name}-blk";
        try
        {
            var r = Harness.Run.Program("sh", ["-c",
                $"echo $$ > {V2}/cgroup.procs; (echo x > /dev/null) 2>&1 && echo null-ok; (echo x > /dev/zero) 2>&1 && echo zero-ok; " +
                $"mknod {node} b 7 99 2>&1"]);
            var lines = r.Stdout.Split('\n');
            Assert.Equal("null-ok", lines[0]);
            Assert.Equal("zero-ok", lines[1]);
            Assert.Contains("Operation not permitted", lines[2]);
        }
        finally
        {
            File.Delete(node);
        }
    }
}
