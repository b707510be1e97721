using System.Text.Json;
using Ocirun.Cli;

namespace Ocirun.UnitTests;

/// <summary>Log: JSON lines for --log-format json, and the file log.</summary>
public sealed class LogTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void JsonLineIsOneJsonObject()
    {
        var line = Log.JsonLine("error", "bad \"thing\"\nhappened \\ here", "2024-01-01T00:00:00.0000000Z");
        Assert.EndsWith("}\n", line);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(["level", "msg", "time"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("error", root.GetProperty("level").GetString());
        Assert.Equal("bad \"thing\"\nhappened \\ here", root.GetProperty("msg").GetString());
        Assert.Equal("2024-01-01T00:00:00.0000000Z", root.GetProperty("time").GetString());
    }

    [Fact]
    public void DebugIsWrittenOnlyWhenEnabled()
    {
        var path = _tmp.Combine("log.json");
        new Log(path, json: true, debug: false).Debug("hidden");
        Assert.False(File.Exists(path));
        new Log(path, json: true, debug: true).Debug("shown");
        new Log(path, json: true, debug: true).Debug("again");
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        Assert.Equal(("debug", "shown"), (doc.RootElement.GetProperty("level").GetString(), doc.RootElement.GetProperty("msg").GetString()));
        Assert.True(DateTime.TryParse(doc.RootElement.GetProperty("time").GetString(), out _));
    }

    [Fact]
    public void TextFormatIsLogfmt()
    {
        var path = _tmp.Combine("log.txt");
        new Log(path, json: false, debug: true).Debug("say \"hi\"");
        Assert.Matches("^time=\"[0-9T:.-]+Z\" level=debug msg=\"say \\\\\"hi\\\\\"\"\n$", File.ReadAllText(path));
    }

    [Fact]
    public void AMessageOfManyLinesIsOneLogLine()
    {
        // A hook's quoted output may hold newlines: logrus quotes with Go's %q, as here.
        var path = _tmp.Combine("log.txt");
        new Log(path, json: false, debug: true).Debug("stdout: a\nb\tc\u001b");
        Assert.EndsWith(" level=debug msg=\"stdout: a\\nb\\tc\\x1b\"\n", File.ReadAllText(path));
        Assert.Single(File.ReadAllLines(path));
    }
}
