namespace Ocirun.E2ETests.Harness;

public static class Poll
{
    /// <summary>Checks <paramref name="condition"/> every 100 ms until it holds; fails after <paramref name="seconds"/>.</summary>
    public static void Until(Func<bool> condition, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out after {seconds}s waiting for {what}");
            }
            Thread.Sleep(100);
        }
    }
}
