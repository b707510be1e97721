using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Tests.Shared;

namespace Ocirun.IntegrationTests;

/// <summary>
/// `make bench`'s start-up harness (scripts/bench.py), shortened to 2 rounds: it runs and its
/// results parse. No timing asserts.
/// </summary>
public sealed class BenchSmokeTests : IDisposable
{
    private readonly string _out = Scratch.NewDirectory("bench-");

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void TwoRoundsWriteResultsAndAChart()
    {
        var r = Run.Program("python3", [Path.Combine(RepoPaths.Root, "scripts", "bench.py"), TestEnv.Bin, TestEnv.Rootfs,
            "--rounds", "2", "--concurrent", "3", "--out", _out], TimeSpan.FromMinutes(3)).EnsureSuccess();
        Assert.Contains("ratios ocirun/peer", r.Stdout);
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "results.json"))).RootElement;
        Assert.Equal(2, doc.GetProperty("rounds").GetInt32());
        var runtimes = doc.GetProperty("runtimes");
        Assert.True(runtimes.EnumerateObject().Count() >= 2, "ocirun and at least one peer");
        foreach (var rt in runtimes.EnumerateObject())
        {
            foreach (var cmd in new[] { "run", "create", "start", "state", "delete", "exec" })
            {
                Assert.True(rt.Value.GetProperty(cmd).GetProperty("ms").GetDouble() > 0, $"{rt.Name} {cmd}");
                Assert.True(rt.Value.GetProperty(cmd).GetProperty("page_faults").GetInt32() > 0, $"{rt.Name} {cmd}");
            }
            Assert.True(rt.Value.GetProperty("create").GetProperty("peak_rss_kib").GetInt32() > 0, rt.Name);
            Assert.Equal(0, rt.Value.GetProperty("concurrent").GetProperty("failures").GetInt32());
        }
        Assert.Contains(doc.GetProperty("ratios").EnumerateObject(), p => p.Name.StartsWith("run vs "));
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(_out, "ratios.svg")));
    }
}
