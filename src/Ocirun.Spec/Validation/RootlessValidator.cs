using Ocirun.Spec.Known;
using Ocirun.Spec.Model;

namespace Ocirun.Spec.Validation;

/// <summary>
/// What a spec needs when the runtime's euid is not 0 (runc's rootlessEUIDCheck): a user
/// namespace (nothing else could give the container a root), and mount options naming ids
/// that its mappings give it.
/// </summary>
public static class RootlessValidator
{
    public static void Validate(Model.Spec spec)
    {
        if (spec.Linux?.Namespaces?.Any(n => n.Type == NamespaceTypes.User) != true)
        {
            throw new SpecValidationException("rootless", "rootless container requires user namespaces");
        }
        foreach (var m in spec.Mounts ?? [])
        {
            foreach (var option in m.Options ?? [])
            {
                if (Id(option, "uid=") is { } uid && !Maps(spec.Linux.UidMappings, uid))
                {
                    throw new SpecValidationException("rootless",
                        $"cannot specify {option} mount option for rootless container: user namespaces enabled, but no mapping found for uid {uid}");
                }
                if (Id(option, "gid=") is { } gid && !Maps(spec.Linux.GidMappings, gid))
                {
                    throw new SpecValidationException("rootless",
                        $"cannot specify {option} mount option for rootless container: user namespaces enabled, but no mapping found for gid {gid}");
                }
            }
        }
    }

    /// <summary>Additional groups need setgroups, which a rootless container never has.</summary>
    public static void CheckProcess(Model.Process process)
    {
        if (process.User?.AdditionalGids is { Count: > 0 })
        {
            throw new SpecValidationException("rootless", "cannot set any additional groups in a rootless container");
        }
    }

    private static long? Id(string option, string prefix) =>
        option.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(option.AsSpan(prefix.Length), out var id) ? id : null;

    private static bool Maps(List<IdMapping>? maps, long id) =>
        maps == null || maps.Count == 0 || maps.Any(m => id >= m.ContainerId && id < (long)m.ContainerId + m.Size);
}
