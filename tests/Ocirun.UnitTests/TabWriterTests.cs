using Ocirun.Cli.Commands;

namespace Ocirun.UnitTests;

/// <summary>TabWriter: Go text/tabwriter alignment as `list` uses it (minwidth 12, padding 3).</summary>
public class TabWriterTests
{
    [Fact]
    public void ColumnsUseMinWidth()
    {
        var text = TabWriter.Format([["ID", "PID", "STATUS"], ["a", "1", "running"]], minWidth: 12, padding: 3);
        Assert.Equal("ID          PID         STATUS\na           1           running\n", text);
    }

    [Fact]
    public void LongCellWidensItsColumnByPadding()
    {
        var text = TabWriter.Format([["ID", "PID", "OWNER"], ["a-very-long-container-id", "4242", "root"]], minWidth: 12, padding: 3);
        var lines = text.Split('\n');
        Assert.Equal("ID" + new string(' ', 25) + "PID         OWNER", lines[0]);
        Assert.Equal("a-very-long-container-id   4242        root", lines[1]);
        Assert.Equal(lines[0].IndexOf("PID"), lines[1].IndexOf("4242"));
    }

    [Fact]
    public void LastColumnIsNotPadded()
    {
        var text = TabWriter.Format([["A", "B"], ["x", "much longer last cell"]], minWidth: 4, padding: 1);
        Assert.Equal("A   B\nx   much longer last cell\n", text);
    }

    [Fact]
    public void ShortRowsAreWrittenAsIs()
    {
        var text = TabWriter.Format([["ID", "PID", "STATUS"], ["solo"]], minWidth: 6, padding: 1);
        Assert.Equal("ID    PID   STATUS\nsolo\n", text);
    }
}
