namespace Ocirun.E2ETests.Harness;

/// <summary>
/// What the suite is given: OCIRUN_BIN (the published ocirun binary, which Podman runs as
/// the "ocirun" runtime) and OCIRUN_ROOTFS (the busybox rootfs of scripts/rootfs.sh, imported
/// as localhost/busybox:latest).
/// </summary>
public static class E2EEnv
{
    public const string Image = "localhost/busybox:latest";

    public static string Bin => Require("OCIRUN_BIN");

    public static string Rootfs => Require("OCIRUN_ROOTFS");

    /// <summary>Base directory of everything the suite creates on disk (removed at the end).</summary>
    public static readonly string Base = "/tmp/ocirun-e2e";

    private static string Require(string name)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(v))
        {
            throw new InvalidOperationException(
                $"{name} is not set: run as OCIRUN_BIN=/abs/bin/ocirun OCIRUN_ROOTFS=/abs/build/rootfs scripts/dotnet-test.sh e2e tests/Ocirun.E2ETests");
        }
        return Path.GetFullPath(v);
    }
}
