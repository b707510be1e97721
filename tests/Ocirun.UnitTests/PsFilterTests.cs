using Ocirun.Cli.Commands;
using Ocirun.Runtime;

namespace Ocirun.UnitTests;

/// <summary>PsCommand.FilterPs: keep ps's header and the container's processes.</summary>
public class PsFilterTests
{
    private const string PsEf = """
        UID          PID    PPID  C STIME TTY          TIME CMD
        root           1       0  0 06:00 ?        00:00:01 /sbin/init
        root        4242       1  0 06:01 ?        00:00:00 sh -c sleep 1000
        root        4243    4242  0 06:01 ?        00:00:00 sleep 1000
        user       14242       1  0 06:02 pts/0    00:00:00 bash 4242

        """;

    [Fact]
    public void KeepsHeaderAndMatchingPids()
    {
        var lines = PsCommand.FilterPs(PsEf, [4242, 4243]).Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("UID", lines[0]);
        Assert.Contains("sh -c sleep 1000", lines[1]);
        Assert.EndsWith("sleep 1000", lines[2]);
        Assert.Equal("", lines[3]);
    }

    [Fact]
    public void PidColumnIsFoundByHeader()
    {
        var text = PsCommand.FilterPs("  PID TTY          TIME CMD\n    7 ?        00:00:00 a\n    8 ?        00:00:00 b\n", [8]);
        Assert.Equal("  PID TTY          TIME CMD\n    8 ?        00:00:00 b\n", text);
    }

    [Fact]
    public void NoMatchesLeavesHeader() => Assert.Equal(PsEf.Split('\n')[0] + "\n", PsCommand.FilterPs(PsEf, []));

    [Fact]
    public void MissingPidColumnIsAnError() => Assert.Equal("couldn't find PID field in ps output",
        Assert.Throws<ContainerException>(() => PsCommand.FilterPs("USER COMMAND\nroot init\n", [1])).Message);
}
