namespace Ocirun.Runtime.Cgroups;

/// <summary>One value to write into one cgroup file; Controller is the v1 controller, or "unified".</summary>
public sealed record CgroupWrite(string Controller, string File, string Value)
{
    public override string ToString() => $"{Controller}/{File}={Value}";
}
