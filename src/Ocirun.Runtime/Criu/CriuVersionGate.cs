namespace Ocirun.Runtime.Criu;

/// <summary>A CRIU version as the VERSION request reports it.</summary>
public sealed record CriuVersionNumber(int Major, int Minor, int Sublevel, string? GitId = null)
{
    /// <summary>
    /// major*10000 + minor*100 + sublevel, the encoding runc, go-criu and libcriu compare. A
    /// development build (git id present) counts as the next minor release, as they do: its
    /// sublevel is the last release's, while it already has the next one's changes.
    /// </summary>
    public int Encoded => string.IsNullOrEmpty(GitId) ? Major * 10000 + Minor * 100 + Sublevel : Major * 10000 + (Minor + 1) * 100;

    public static CriuVersionNumber From(CriuVersion v) =>
        new(v.MajorNumber, v.MinorNumber, v.Sublevel, v.HasGitid && v.Gitid.Length > 0 ? v.Gitid : null);

    public override string ToString() => $"{Major}.{Minor}.{Sublevel}" + (GitId == null ? "" : $" ({GitId})");
}

/// <summary>The oldest CRIU ocirun drives: 3.16 fixed lsm_profile and added lsm_mount_context.</summary>
public static class CriuVersionGate
{
    public const int Minimum = 31600;

    public static void Check(CriuVersionNumber v)
    {
        if (v.Encoded < Minimum)
        {
            throw new ContainerException($"criu version {v.Major}.{v.Minor}.{v.Sublevel} is too old: ocirun needs 3.16 or later");
        }
    }
}
