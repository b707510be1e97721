using Ocirun.Runtime.Linux;

namespace Ocirun.UnitTests;

/// <summary>ProcFs.ParseStat: state and start time from /proc/PID/stat text.</summary>
public class ProcFsTests
{
    /// <summary>A stat line whose fields after comm are state, then 1..N; field 22 (starttime) is given.</summary>
    private static string Stat(string comm, char state, ulong start)
    {
        var rest = Enumerable.Range(4, 49).Select(i => i == 22 ? start.ToString() : i.ToString());
        return $"4242 ({comm}) {state} {string.Join(' ', rest)}\n";
    }

    [Fact]
    public void PlainComm() => Assert.Equal((987654321ul, 'S'), ParseOk(Stat("sleep", 'S', 987654321)));

    [Theory]
    [InlineData("my prog")]
    [InlineData("a) R 1 2 (b")]
    [InlineData(")")]
    [InlineData("((x))")]
    public void CommWithSpacesAndParens(string comm) => Assert.Equal((42ul, 'Z'), ParseOk(Stat(comm, 'Z', 42)));

    [Fact]
    public void RealSelfStat()
    {
        var s = ParseOk(File.ReadAllText("/proc/self/stat"));
        Assert.True(s.StartTime > 0);
        Assert.Contains(s.State, "RSD");
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 no parens R 1 2 3")]
    [InlineData("4242 (x) R 1 2 3")]
    [InlineData("4242 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 notanumber 20 21")]
    public void MalformedIsNull(string text) => Assert.Null(ProcFs.ParseStat(text));

    /// <summary>BUG: text ending at ')' throws ArgumentOutOfRangeException instead of returning null.</summary>
    [Fact]
    public void TruncatedAfterCommIsNull() => Assert.Null(ProcFs.ParseStat("4242 (x)"));

    [Fact]
    public void IsAliveComparesStartTime()
    {
        var self = ParseOk(File.ReadAllText("/proc/self/stat"));
        Assert.True(ProcFs.IsAlive(Environment.ProcessId, self.StartTime));
        Assert.False(ProcFs.IsAlive(Environment.ProcessId, self.StartTime + 1));
        Assert.False(ProcFs.IsAlive(0, self.StartTime));
    }

    private static (ulong StartTime, char State) ParseOk(string text)
    {
        var r = ProcFs.ParseStat(text);
        Assert.NotNull(r);
        return r.Value;
    }
}
