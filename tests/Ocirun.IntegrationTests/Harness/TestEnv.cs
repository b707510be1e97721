namespace Ocirun.IntegrationTests.Harness;

/// <summary>Where the published binary and the busybox rootfs are (set by `make test-integration`).</summary>
public static class TestEnv
{
    public static string Bin => Require("OCIRUN_BIN");

    public static string Rootfs => Require("OCIRUN_ROOTFS");

    /// <summary>runc 1.3.6, the peer whose behaviour ocirun matches (installed by `make deps`).</summary>
    public static string Runc13 => File.Exists("/opt/ocirun/runc13/runc") ? "/opt/ocirun/runc13/runc"
        : throw new InvalidOperationException("runc 1.3.6 is not installed at /opt/ocirun/runc13: run `make deps`");

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
