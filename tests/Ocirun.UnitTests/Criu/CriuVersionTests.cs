using Ocirun.Runtime;
using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class CriuVersionTests
{
    [Theory]
    [InlineData(4, 1, 1, null, 40101)]
    [InlineData(3, 16, 0, null, 31600)]
    [InlineData(3, 15, 0, "v3.15-12-gabcdef", 31600)] // a development build counts as the next minor
    [InlineData(3, 19, 3, "abc", 32000)]
    public void Encoded(int major, int minor, int sub, string? git, int expected) =>
        Assert.Equal(expected, new CriuVersionNumber(major, minor, sub, git).Encoded);

    [Fact]
    public void FromResponseTreatsEmptyGitIdAsRelease()
    {
        var v = CriuVersionNumber.From(new CriuVersion { MajorNumber = 4, MinorNumber = 1, Sublevel = 1, Gitid = "" });
        Assert.Equal((40101, "4.1.1"), (v.Encoded, v.ToString()));
    }

    [Fact]
    public void GateAcceptsThreeSixteen()
    {
        CriuVersionGate.Check(new CriuVersionNumber(3, 16, 0));
        CriuVersionGate.Check(new CriuVersionNumber(4, 1, 1));
    }

    [Fact]
    public void GateRejectsOlder()
    {
        var e = Assert.Throws<ContainerException>(() => CriuVersionGate.Check(new CriuVersionNumber(3, 15, 2)));
        Assert.Equal("criu version 3.15.2 is too old: ocirun needs 3.16 or later", e.Message);
    }
}
