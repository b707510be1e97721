using Ocirun.Cli;
using Ocirun.Cli.Commands;

namespace Ocirun.UnitTests;

/// <summary>ArgParser: Go flag syntax as runc accepts it.</summary>
public class ArgParserTests
{
    private static readonly OptSpec[] Specs =
    {
        new("bundle", OptKind.Value, "b"), new("detach", OptKind.Bool, "d"), new("all", OptKind.Bool, "a"),
        new("force", OptKind.Bool, "f"), new("quiet", OptKind.Bool, "q"), new("env", OptKind.Multi, "e"),
    };

    private static ParsedArgs Parse(bool stopAtPositional, params string[] args) =>
        ArgParser.Parse(args, Specs, out _, stopAtPositional);

    private static string UsageError(params string[] args) =>
        Assert.Throws<UsageException>(() => Parse(false, args)).Message;

    [Theory]
    [InlineData("--bundle=/b")]
    [InlineData("-bundle=/b")]
    [InlineData("--bundle", "/b")]
    [InlineData("-bundle", "/b")]
    [InlineData("-b", "/b")]
    [InlineData("--b=/b")]
    public void ValueSpellings(params string[] args) => Assert.Equal("/b", Parse(false, args).Get("bundle"));

    [Fact]
    public void ValueMayBeEmptyOrContainEquals()
    {
        Assert.Equal("", Parse(false, "--bundle=").Get("bundle"));
        Assert.Equal("a=b", Parse(false, "--bundle=a=b").Get("bundle"));
        Assert.Equal("-d", Parse(false, "--bundle", "-d").Get("bundle"));
    }

    [Theory]
    [InlineData("a", "all")]
    [InlineData("d", "detach")]
    [InlineData("f", "force")]
    [InlineData("q", "quiet")]
    public void ShortAliasesSetTheLongName(string alias, string name)
    {
        var p = Parse(false, "-" + alias);
        Assert.True(p.Flag(name));
        Assert.Equal(["true"], p.Values[name]);
        Assert.False(p.Values.ContainsKey(alias));
    }

    [Theory]
    [InlineData("--force=false", false)]
    [InlineData("--force=0", false)]
    [InlineData("--force=true", true)]
    [InlineData("--force=1", true)]
    [InlineData("--force", true)]
    public void BooleanValues(string arg, bool expected) => Assert.Equal(expected, Parse(false, arg).Flag("force"));

    [Fact]
    public void BooleanDoesNotTakeTheNextArgument()
    {
        var p = Parse(false, "--force", "false");
        Assert.True(p.Flag("force"));
        Assert.Equal(["false"], p.Positional);
    }

    [Fact]
    public void RepeatedFlagsKeepEveryValueAndLastWins()
    {
        var p = Parse(false, "-f", "--force=false", "-e", "A=1", "--env=B=2", "-b", "x", "-b", "y");
        Assert.False(p.Flag("force"));
        Assert.Equal(["A=1", "B=2"], p.All("env"));
        Assert.Equal("y", p.Get("bundle"));
    }

    [Fact]
    public void AbsentOptions()
    {
        var p = Parse(false);
        Assert.False(p.Flag("force"));
        Assert.Null(p.Get("bundle"));
        Assert.Empty(p.All("env"));
    }

    [Fact]
    public void InvalidBoolean() => Assert.Equal("invalid boolean value \"yes\" for -force", UsageError("--force=yes"));

    [Theory]
    [InlineData("flag needs an argument: -b", "-b")]
    [InlineData("flag needs an argument: -bundle", "id", "--bundle")]
    [InlineData("flag provided but not defined: -x", "-x")]
    [InlineData("flag provided but not defined: -nope", "--nope=1", "id")]
    public void UsageErrors(string message, params string[] args) => Assert.Equal(message, UsageError(args));

    [Fact]
    public void ExecStyleStopsAtFirstPositional()
    {
        var p = ArgParser.Parse(["-d", "ctr", "ps", "-ef", "--bundle", "x"], Specs, out int consumed, stopAtPositional: true);
        Assert.True(p.Flag("detach"));
        Assert.Null(p.Get("bundle"));
        Assert.Equal(["ctr", "ps", "-ef", "--bundle", "x"], p.Positional);
        Assert.Equal(1, consumed);
    }

    [Fact]
    public void OtherCommandsTakeFlagsAfterPositionals()
    {
        var p = Parse(false, "ctr", "-f", "KILL", "--bundle", "/b");
        Assert.True(p.Flag("force"));
        Assert.Equal("/b", p.Get("bundle"));
        Assert.Equal(["ctr", "KILL"], p.Positional);
    }

    [Fact]
    public void LoneDashIsPositional() => Assert.Equal(["-"], Parse(false, "-").Positional);

    [Fact]
    public void DoubleDashEndsOptionsForExecStyle()
    {
        var p = ArgParser.Parse(["-d", "--", "-f", "ctr"], Specs, out int consumed, stopAtPositional: true);
        Assert.False(p.Flag("force"));
        Assert.Equal(["-f", "ctr"], p.Positional);
        Assert.Equal(2, consumed);
    }

    /// <summary>
    /// BUG: with stopAtPositional false, ArgParser breaks at "--" and then only copies the rest when
    /// stopAtPositional is true, so everything after "--" is dropped ("ocirun delete -- ctr" has no id).
    /// </summary>
    [Fact]
    public void DoubleDashEndsOptionsForOtherCommands()
    {
        var p = Parse(false, "-f", "--", "-ctr-with-dash", "x");
        Assert.True(p.Flag("force"));
        Assert.Equal(["-ctr-with-dash", "x"], p.Positional);
    }

    [Fact]
    public void AfterAnArgumentOnlyTheCommandsFlagsAreFlags()
    {
        // runc kill ctr -9: urfave/cli leaves an unknown "-9" among the arguments.
        Assert.Equal(["ctr", "-9"], Parse(false, "ctr", "-9").Positional);
        var p = Parse(false, "ctr", "-f", "--bogus");
        Assert.True(p.Flag("force"));
        Assert.Equal(["ctr", "--bogus"], p.Positional);
        Assert.Equal("flag provided but not defined: -9", UsageError("-9", "ctr"));
    }

    [Fact]
    public void GlobalOptionsStopAtTheCommand()
    {
        var args = new[] { "--root", "/r", "--debug", "kill", "-a", "ctr" };
        var p = ArgParser.Parse(args, GlobalOptions.Specs, out int used);
        Assert.Equal(3, used);
        Assert.Equal("/r", p.Get("root"));
        Assert.True(p.Flag("debug"));
        Assert.Equal(["kill", "-a", "ctr"], p.Positional);
        var kill = ArgParser.Parse(args[used..].Skip(1).ToList(), new KillCommand().Options, out _, false);
        Assert.True(kill.Flag("all"));
    }

    [Fact]
    public void CreateOptionsParse()
    {
        var p = ArgParser.Parse(["--bundle", "/b", "--pid-file=/run/p", "--no-pivot", "--preserve-fds", "2", "ctr"],
            CreateCommand.CreateOptions, out _, false);
        Assert.Equal("ctr", CommandContext.RequireId(p, "create"));
        Assert.Equal(("/b", "/run/p", "2"), (p.Get("bundle"), p.Get("pid-file"), p.Get("preserve-fds")));
        Assert.True(p.Flag("no-pivot"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void RequireIdWantsExactlyOne(int count)
    {
        var p = Parse(false, Enumerable.Range(0, count).Select(i => "c" + i).ToArray());
        Assert.Equal("\"delete\" requires exactly 1 argument(s)",
            Assert.Throws<UsageException>(() => CommandContext.RequireId(p, "delete")).Message);
    }
}
