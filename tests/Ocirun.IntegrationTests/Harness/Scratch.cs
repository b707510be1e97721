namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// Where the integration tests keep what they make on disk: one directory under /tmp that the
/// tests create themselves (a fresh machine has none), so the leak check knows where to look.
/// </summary>
public static class Scratch
{
    public const string Base = "/tmp/ocirun-it";

    /// <summary>Creates (with its parents) and returns a new directory named prefix + a random tag.</summary>
    public static string NewDirectory(string prefix) =>
        Directory.CreateDirectory(Path.Combine(Base, prefix + Guid.NewGuid().ToString("n")[..12])).FullName;
}
