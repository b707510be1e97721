namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// The systemd driver's names for a container (pure): runc's cgroupsPath form
/// "slice:prefix:name" gives the scope unit "prefix-name.scope" in the slice (an empty slice is
/// system.slice, or user.slice of a user's own systemd), and its cgroup below the slice's
/// expanded path, in every hierarchy. A name that is a slice is the unit itself, the prefix
/// ignored, as runc has it: systemd is then asked for that slice (see <see cref="IsSlice"/>).
/// </summary>
public sealed record SystemdUnit(string Slice, string Name)
{
    public static SystemdUnit Parse(string? cgroupsPath, string id, bool userManager = false)
    {
        var defaultSlice = userManager ? "user.slice" : "system.slice";
        if (string.IsNullOrEmpty(cgroupsPath))
        {
            return new SystemdUnit(defaultSlice, $"ocirun-{id}.scope");
        }
        var parts = cgroupsPath.Split(':');
        if (parts.Length != 3)
        {
            throw new ContainerException(
                $"expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"{cgroupsPath}\" instead");
        }
        var slice = parts[0] == "" ? defaultSlice : parts[0];
        ExpandSlice(slice);
        var name = IsSliceName(parts[2]) ? parts[2]
            : parts[1] == "" ? parts[2] + ".scope" : $"{parts[1]}-{parts[2]}.scope";
        if (name.Contains('/') || parts[2] == "")
        {
            throw new ContainerException($"invalid unit name in cgroupsPath {cgroupsPath}");
        }
        return new SystemdUnit(slice, name);
    }

    /// <summary>
    /// Whether the unit is a slice, which runc asks systemd for with the container's process in
    /// it as for a scope; systemd takes processes into scopes only and refuses it.
    /// </summary>
    public bool IsSlice => IsSliceName(Name);

    public static bool IsSliceName(string unit) => unit.EndsWith(".slice", StringComparison.Ordinal);

    /// <summary>The unit's cgroup, relative to a hierarchy's root: the slice's path, then the unit.</summary>
    public string CgroupPath => ExpandSlice(Slice).TrimEnd('/') + "/" + Name;

    /// <summary>"a-b.slice" is "/a.slice/a-b.slice", as systemd nests slices; "-.slice" is the root.</summary>
    public static string ExpandSlice(string slice)
    {
        const string suffix = ".slice";
        if (slice.Length <= suffix.Length || !slice.EndsWith(suffix, StringComparison.Ordinal) || slice.Contains('/'))
        {
            throw new ContainerException($"invalid slice name: {slice}");
        }
        var stem = slice[..^suffix.Length];
        if (stem == "-")
        {
            return "/";
        }
        string path = "", prefix = "";
        foreach (var component in stem.Split('-'))
        {
            if (component == "")
            {
                throw new ContainerException($"invalid slice name: {slice}");
            }
            path += "/" + prefix + component + suffix;
            prefix += component + "-";
        }
        return path;
    }
}
