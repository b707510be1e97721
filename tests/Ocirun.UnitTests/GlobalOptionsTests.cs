using Ocirun.Cli;

namespace Ocirun.UnitTests;

/// <summary>GlobalOptions.From: the options before the command.</summary>
public class GlobalOptionsTests
{
    private static GlobalOptions From(params string[] args) => GlobalOptions.From(ArgParser.Parse(args, GlobalOptions.Specs, out _));

    [Fact]
    public void Defaults()
    {
        var g = From();
        Assert.Equal(GlobalOptions.DefaultRoot(), g.Root);
        Assert.False(g.LogJson);
        Assert.False(g.Debug);
        Assert.Null(g.LogPath);
    }

    [Fact]
    public void ValuesAreTaken()
    {
        var g = From("--root", "/tmp/r", "--log", "/tmp/l.json", "--log-format", "json", "--debug", "--criu", "/usr/sbin/criu");
        Assert.Equal(("/tmp/r", "/tmp/l.json", true, true, "/usr/sbin/criu"), (g.Root, g.LogPath, g.LogJson, g.Debug, g.Criu));
    }

    [Fact]
    public void RelativeRootIsMadeAbsolute()
    {
        var g = From("--root", "state");
        Assert.True(Path.IsPathRooted(g.Root));
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "state"), g.Root);
    }

    [Fact]
    public void EmptyRootMeansDefault() => Assert.Equal(GlobalOptions.DefaultRoot(), From("--root=").Root);

    [Theory]
    [InlineData("xml")]
    [InlineData("JSON")]
    public void LogFormatIsValidated(string format) =>
        Assert.Equal($"invalid log-format: {format}", Assert.Throws<UsageException>(() => From("--log-format", format)).Message);

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("auto")]
    public void RootlessAcceptsTrueFalseAuto(string value) => From("--rootless", value);

    [Fact]
    public void RootlessRejectsOtherValues() =>
        Assert.Equal("invalid value for --rootless: maybe", Assert.Throws<UsageException>(() => From("--rootless=maybe")).Message);

    [Fact]
    public void DefaultRootIsRuncsForRootOutsideAUserNamespace()
    {
        // The tests run as root in the initial namespace: /run, whatever XDG_RUNTIME_DIR says.
        Assert.Equal(0u, TestHelpers.Euid());
        Assert.Equal("/run/ocirun", GlobalOptions.DefaultRoot());
    }
}
