namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// One value to write into one cgroup file; Controller is the v1 controller, or "unified".
/// An optional write is skipped where the host has no such file (e.g. no swap accounting); a
/// write with a fallback goes to that file instead (BFQ's blkio weights where CFQ's are gone).
/// </summary>
public sealed record CgroupWrite(string Controller, string File, string Value, bool Optional = false, string? Fallback = null)
{
    public override string ToString() => $"{Controller}/{File}={Value}";
}
