using System.Text.RegularExpressions;
using Ocirun.E2ETests.Harness;
using Ocirun.Tests.Shared;
using Xunit.Abstractions;

namespace Ocirun.E2ETests;

/// <summary>
/// `make demo`'s live migration (scripts/migrate-lazy.sh) as a test: a container with written
/// memory moves between two network namespaces with lazy pages, its memory arriving over the
/// veth pair after it already runs on the other side, then back with a plain checkpoint. The
/// frozen times are printed, not asserted (no timing asserts in tests).
/// </summary>
// In the Podman collection: not at the same time as the checkpoint tests (the script raises
// fs.pipe-max-size while it runs and puts it back).
[Collection("podman")]
public sealed partial class LiveMigrationTests(ITestOutputHelper output)
{
    private const int Mib = 64;

    [Fact]
    public void LazyMigrationMovesTheMemoryOverTheVethAndTheCounterGoesOn()
    {
        var r = Proc.Run([Path.Combine(RepoPaths.Root, "scripts", "migrate-lazy.sh"), E2EEnv.Bin, E2EEnv.Rootfs],
            TimeSpan.FromMinutes(5), env: new Dictionary<string, string> { ["MIGRATE_MIB"] = Mib.ToString() });
        output.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var lazy = Result(r.Stdout, "lazy");
        // The pages came over the veth between the two namespaces, not through the image copy.
        Assert.True(lazy["veth_mib"] >= Mib, $"only {lazy["veth_mib"]} MiB crossed the veth");
        Assert.True(lazy["after"] > lazy["before"], "the counter did not go on after the lazy migration");
        var plain = Result(r.Stdout, "plain");
        Assert.True(plain["after"] > plain["before"], "the counter did not go on after the plain migration");
        // Nothing left: the script's namespaces are gone.
        Assert.DoesNotContain("ocirun-mig-", Proc.Run("ip", "netns", "list").Stdout);
    }

    /// <summary>The numbers of the script's "result: KIND k=v ..." line.</summary>
    private static Dictionary<string, long> Result(string stdout, string kind)
    {
        var line = stdout.Split('\n').Single(l => l.StartsWith($"result: {kind} ", StringComparison.Ordinal));
        return Pair().Matches(line).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value));
    }

    [GeneratedRegex(@"(\w+)=(\d+)")]
    private static partial Regex Pair();
}
