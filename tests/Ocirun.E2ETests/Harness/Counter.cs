namespace Ocirun.E2ETests.Harness;

/// <summary>The counting loop that checkpoint tests watch, and checks on its output.</summary>
public static class Counter
{
    public const string Loop = "i=0; while true; do echo $i; i=$(expr $i + 1); sleep 0.1; done";

    /// <summary>The numbers in a container's log (lines that are not numbers are ignored).</summary>
    public static List<long> Numbers(string logs) =>
        logs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => long.TryParse(l, out var n) ? (long?)n : null)
            .Where(n => n.HasValue)
            .Select(n => n!.Value)
            .ToList();

    public static long Last(Podman p, string name) => Numbers(p.Logs(name)) is { Count: > 0 } n ? n[^1] : -1;

    /// <summary>Waits until the counter's log reaches at least <paramref name="after"/> + <paramref name="more"/>; returns its log numbers.</summary>
    public static List<long> WaitForMore(Podman p, string name, long after, int more, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        List<long> n;
        while (true)
        {
            n = Numbers(p.Logs(name));
            if (n.Count > 0 && n[^1] >= after + more)
            {
                return n;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{name}: counter did not reach {after + more} in {seconds}s; log: {string.Join(' ', n)}; status: {p.Status(name)}");
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>
    /// After a restore: the counter went on from where it was (the log keeps its numbers from
    /// before the checkpoint, then new ones) - it counts on past <paramref name="lastBefore"/>,
    /// every number is larger than the one before it (so it never started again at 0), and
    /// the first new number follows the last old one closely.
    /// </summary>
    public static void AssertContinued(Podman p, string name, long lastBefore)
    {
        var n = WaitForMore(p, name, lastBefore, 5);
        for (var i = 1; i < n.Count; i++)
        {
            Assert.True(n[i] > n[i - 1], $"{name}: counter went from {n[i - 1]} to {n[i]}: {string.Join(' ', n)}");
        }
        Assert.Equal(0, n[0]);
        var firstNew = n.First(x => x > lastBefore);
        Assert.True(firstNew <= lastBefore + 3, $"{name}: the first number after the restore is {firstNew}, the last before {lastBefore}");
    }
}
