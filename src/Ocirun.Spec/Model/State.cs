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
}
