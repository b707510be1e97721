using Ocirun.Runtime;
using Ocirun.Runtime.Cgroups;

namespace Ocirun.UnitTests.Cgroups;

/// <summary>Unit properties from "org.systemd.property." annotations: runc's own test table, and the value forms.</summary>
public class SystemdAnnotationsTests
{
    private static SystemdProperty One(string name, string value) =>
        Assert.Single(SystemdAnnotations.Parse(new Dictionary<string, string> { [name] = value }));

    public static TheoryData<string, string, string, object> Taken => new()
    {
        { "org.systemd.property.TimeoutStopUSec", "uint64 123456789", "TimeoutStopUSec", 123456789UL },
        { "org.systemd.property.TimeoutStopSec", "456", "TimeoutStopUSec", 456000000UL },
        { "org.systemd.property.TimeoutStopSec", "byte 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "int16 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "uint16 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "int32 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "uint32 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "int64 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "uint64 234", "TimeoutStopUSec", 234000000UL },
        { "org.systemd.property.TimeoutStopSec", "234.789", "TimeoutStopUSec", 234789000UL },
        { "org.systemd.property.FOOSec", "123", "FOOSec", 123 },
        { "org.systemd.property.Sec", "123", "Sec", 123 }, // nothing before "Sec" (runc's index runs off the start)
        { "org.systemd.property.CollectMode", "'inactive-or-failed'", "CollectMode", "inactive-or-failed" },
        { "org.systemd.property.Description", "\"it's \\\"quoted\\\"\"", "Description", "it's \"quoted\"" },
        { "org.systemd.property.SendSIGHUP", "true", "SendSIGHUP", true },
        { "org.systemd.property.IOWeight", "uint64 300", "IOWeight", 300UL },
        { "org.systemd.property.Requires", "['a.service', 'b, c.service']", "Requires", new[] { "a.service", "b, c.service" } },
        { "org.systemd.property.After", "@as []", "After", Array.Empty<string>() },
    };

    [Theory]
    [MemberData(nameof(Taken))]
    public void AsRuncTakesIt(string key, string value, string name, object expected)
    {
        var p = One(key, value);
        Assert.Equal(name, p.Name);
        Assert.Equal(expected, p.Value);
    }

    [Theory]
    [InlineData("org.systemd.property.TimeoutStopSec", "false", "annotation org.systemd.property.TimeoutStopSec=false value parse error: not a number")]
    [InlineData("org.systemd.property.TimeoutStopSec", "'covfefe'", "annotation org.systemd.property.TimeoutStopSec='covfefe' value parse error: not a number")]
    [InlineData("org.systemd.property.Xo", "1", "annotation org.systemd.property.Xo name incorrect: too short")]
    [InlineData("org.systemd.property.Number1", "1", "annotation org.systemd.property.Number1 name incorrect: contains non-alphabetic character")]
    [InlineData("org.systemd.property.ValidName", "invalid-value", "annotation org.systemd.property.ValidName=invalid-value value parse error: ")]
    [InlineData("org.systemd.property.ValidName", "uint16 -1", "annotation org.systemd.property.ValidName=uint16 -1 value parse error: -1 is not a uint16")]
    [InlineData("org.systemd.property.ValidName", "99999999999", "annotation org.systemd.property.ValidName=99999999999 value parse error: ")]
    [InlineData("org.systemd.property.ValidName", "'open", "annotation org.systemd.property.ValidName='open value parse error: ")]
    public void Refused(string key, string value, string words) =>
        Assert.StartsWith(words, Assert.Throws<ContainerException>(() => One(key, value)).Message);

    [Fact]
    public void OtherAnnotationsAreNotProperties() =>
        Assert.Empty(SystemdAnnotations.Parse(new Dictionary<string, string> { ["some.other.annotation"] = "0", ["org.systemd.propertyX"] = "1" }));
}
