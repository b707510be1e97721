using Ocirun.Runtime;
using Ocirun.Runtime.Container;

namespace Ocirun.UnitTests;

/// <summary>Signals.Parse: numbers and names the way `kill` accepts them.</summary>
public class SignalsTests
{
    [Theory]
    [InlineData("9", 9)]
    [InlineData("KILL", 9)]
    [InlineData("SIGKILL", 9)]
    [InlineData("kill", 9)]
    [InlineData("sigterm", 15)]
    [InlineData("TERM", 15)]
    [InlineData("1", 1)]
    [InlineData("HUP", 1)]
    [InlineData("USR1", 10)]
    [InlineData("SIGUSR2", 12)]
    [InlineData("CHLD", 17)]
    [InlineData("STOP", 19)]
    [InlineData("WINCH", 28)]
    [InlineData("SYS", 31)]
    [InlineData("ABRT", 6)]
    [InlineData("64", 64)]
    [InlineData("0", 0)] // kill(2)'s "does it exist" check, which runc passes through
    // Any number, as Go's Atoi reads it: kill(2) refuses what is no signal.
    [InlineData("65", 65)]
    [InlineData("-1", -1)]
    [InlineData("+15", 15)]
    [InlineData("99999999999", -1)]
    public void Known(string text, int number) => Assert.Equal(number, Signals.Parse(text));

    [Theory]
    [InlineData("FOO")]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("RTMIN-1")]
    [InlineData("RTMIN+31")]
    [InlineData("RTMINX")]
    // Not in Go's signal table, so not runc's names either.
    [InlineData("IOT")]
    [InlineData("RTMIN")]
    [InlineData("SIGRTMIN+1")]
    [InlineData("RTMAX-1")]
    public void Unknown(string text) =>
        Assert.Equal($"unknown signal \"{text}\"", Assert.Throws<ContainerException>(() => Signals.Parse(text)).Message);
}
