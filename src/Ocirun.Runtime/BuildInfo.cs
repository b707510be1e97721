namespace Ocirun.Runtime;

/// <summary>The runtime's own version: `ocirun --version`, and what a checkpoint's manifest records.</summary>
public static class BuildInfo
{
    public const string Version = "0.1.0";
}
