using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests.Cgroups;

public sealed class DeviceStateTests
{
    private static DeviceCgroup Rule(bool allow, string? type = null, long? major = null, long? minor = null, string access = "rwm") =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    private static string[] Lines(DeviceState s) => s.Rules().Select(r => (r.Allow ? "allow " : "deny ") + DeviceRules.Line(r)).ToArray();

    [Fact]
    public void WithoutAnAllRuleTheTargetIsAnAllowList()
    {
        var s = DeviceState.FromRules([Rule(true, "c", 1, 3)]);
        Assert.Equal(["deny a", "allow c 1:3 rwm"], Lines(s));
    }

    [Fact]
    public void AnAllRuleResetsEverythingBeforeIt()
    {
        var s = DeviceState.FromRules([Rule(true, "c", 1, 3), Rule(false), Rule(true, "c", 10, 229, "rw")]);
        Assert.Equal(["deny a", "allow c 10:229 rw"], Lines(s));
    }

    [Fact]
    public void DenyInAnAllowListRemovesOnlyTheExactExceptionsBits()
    {
        // As the kernel does: "c *:* m" stays, so mknod of c 1:3 is still allowed through it.
        var s = DeviceState.FromRules([Rule(false), Rule(true, "c", null, null, "m"), Rule(true, "c", 1, 3, "rwm"),
            Rule(false, "c", 1, 3, "w")]);
        Assert.Equal(["deny a", "allow c *:* m", "allow c 1:3 rm"], Lines(s));
    }

    [Fact]
    public void DenyListKeepsDenials()
    {
        var s = DeviceState.FromRules([Rule(true), Rule(false, "b", 8, null, "w")]);
        Assert.Equal(["allow a", "deny b 8:* w"], Lines(s));
    }

    [Fact]
    public void ParsesDevicesList()
    {
        var s = DeviceState.Parse("c 1:3 rwm\nc 136:* rwm\nb *:* m\n");
        Assert.False(s.DefaultAllow);
        Assert.Equal(3, s.Exceptions.Count);
        Assert.True(DeviceState.Parse("a *:* rwm\n").DefaultAllow);
        Assert.Empty(DeviceState.Parse("").Exceptions);
    }

    [Fact]
    public void FromAllowAllTheDefaultIsResetFirst()
    {
        var writes = DeviceState.Parse("a *:* rwm\n").TransitionTo(DeviceState.FromRules([Rule(false), Rule(true, "c", 1, 3)]));
        Assert.Equal([(false, "a"), (true, "c 1:3 rwm")], writes);
    }

    [Fact]
    public void BetweenAllowListsOnlyDifferencesAreWrittenAdditionsFirst()
    {
        var current = DeviceState.Parse("c 1:3 rwm\nc 1:11 rwm\nc 5:0 r\n");
        var target = DeviceState.FromRules([Rule(false), Rule(true, "c", 1, 3), Rule(true, "c", 5, 0, "rw"), Rule(true, "c", 10, 229, "rw")]);
        Assert.Equal([(true, "c 5:0 w"), (true, "c 10:229 rw"), (false, "c 1:11 rwm")], current.TransitionTo(target));
    }

    [Fact]
    public void NoWritesWhenNothingChanges()
    {
        var target = DeviceState.FromRules([Rule(false), Rule(true, "c", 1, 3)]);
        Assert.Empty(DeviceState.Parse("c 1:3 rwm\n").TransitionTo(target));
        Assert.True(DeviceState.Parse("c 1:3 rwm\n").SameAs(target));
    }

    [Theory]
    [InlineData("c", "rwa")]
    [InlineData("x", "rwm")]
    public void InvalidTypesAndAccessAreErrors(string type, string access) =>
        Assert.Throws<Ocirun.Runtime.ContainerException>(() => DeviceState.FromRules([Rule(true, type, 1, 3, access)]));

    [Fact]
    public void DefaultsAllowNoTunAndNoHostConsole()
    {
        var s = DeviceState.FromRules([Rule(false), .. DeviceRules.Defaults]);
        Assert.DoesNotContain(('c', 10L, 200L), s.Exceptions.Keys);
        Assert.DoesNotContain(('c', 5L, 1L), s.Exceptions.Keys);
        Assert.Contains(('c', 136L, -1L), s.Exceptions.Keys);
    }

    [Fact]
    public void ExceptionsKeepTheOrderTheRulesAddedThem()
    {
        var s = DeviceState.FromRules([
            new DeviceCgroup { Allow = true, Type = "c", Major = 10, Minor = 229, Access = "rw" },
            new DeviceCgroup { Allow = true, Type = "b", Major = 8, Minor = 20, Access = "r" },
            new DeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
            new DeviceCgroup { Allow = true, Type = "c", Major = 10, Minor = 229, Access = "m" },
        ]);
        Assert.Equal(["a", "c 10:229 rwm", "b 8:20 r", "c 1:3 rwm"], s.Rules().Select(DeviceRules.Line));
    }
}
