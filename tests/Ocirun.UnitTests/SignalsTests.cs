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
    [InlineData("IOT", 6)]
    [InlineData("ABRT", 6)]
    [InlineData("64", 64)]
    [InlineData("RTMIN", 34)]
    [InlineData("SIGRTMIN+1", 35)]
    [InlineData("rtmin+30", 64)]
    [InlineData("RTMAX", 64)]
    [InlineData("RTMAX-1", 63)]
    [InlineData("SIGRTMAX-30", 34)]
    [InlineData("0", 0)] // kill(2)'s "does it exist" check, which runc passes through
    public void Known(string text, int number) => Assert.Equal(number, Signals.Parse(text));

    [Theory]
    [InlineData("FOO")]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("-1")]
    [InlineData("65")]
    [InlineData("RTMIN-1")]
    [InlineData("RTMIN+31")]
    [InlineData("RTMAX+1")]
    [InlineData("RTMINX")]
    public void Unknown(string text) =>
        Assert.Equal($"unknown signal \"{text}\"", Assert.Throws<ContainerException>(() => Signals.Parse(text)).Message);
}
