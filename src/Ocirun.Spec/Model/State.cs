namespace Ocirun.Spec.Model;

/// <summary>The OCI state document as `state` (and each row of `list --format json`) prints it, in runc's order.</summary>
public sealed class ContainerStateDocument
{
    public string OciVersion { get; set; } = "";
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public string Status { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public string Created { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
    public string Owner { get; set; } = "";

    /// <summary>
    /// The state a seccomp agent is given: the same fields as `state` prints, without created
    /// time and owner, which only the runtime's own record has (hooks get <see cref="HookState"/>).
    /// </summary>
    public static ContainerStateDocument ForHook(Spec spec, string id, int pid, string status, string bundle, string rootfs) => new()
    {
        OciVersion = spec.OciVersion, Id = id, Pid = pid, Status = status, Bundle = bundle, Rootfs = rootfs,
        Annotations = spec.Annotations,
    };
}
