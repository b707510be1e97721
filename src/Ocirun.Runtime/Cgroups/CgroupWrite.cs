namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// One value to write into one cgroup file; Controller is the v1 controller, or "unified".
/// An optional write is skipped where the host has no such file (e.g. no swap accounting).
/// </summary>
public sealed record CgroupWrite(string Controller, string File, string Value, bool Optional = false)
{
    public override string ToString() => $"{Controller}/{File}={Value}";
}
