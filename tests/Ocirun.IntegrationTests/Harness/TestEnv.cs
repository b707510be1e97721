namespace Ocirun.IntegrationTests.Harness;

/// <summary>Where the published binary and the busybox rootfs are (set by `make test-integration`).</summary>
public static class TestEnv
{
    public static string Bin => Require("OCIRUN_BIN");

    public static string Rootfs => Require("OCIRUN_ROOTFS");

    private static string Require(string name)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(v))
        {
            throw new InvalidOperationException($"{name} is not set: run the integration tests through `make test-integration`");
        }
        return v;
    }
}
