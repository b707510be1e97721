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
    /// The one form hooks and seccomp agents are given (runtime-spec "state"): the same fields
    /// as `state` prints, without created time and owner, which only the runtime's own record has.
    /// </summary>
    public static ContainerStateDocument ForHook(Spec spec, string id, int pid, string status, string bundle, string rootfs) => new()
    {
        OciVersion = spec.OciVersion, Id = id, Pid = pid, Status = status, Bundle = bundle, Rootfs = rootfs,
        Annotations = spec.Annotations,
    };

    /// <summary>
    /// The document as `state` prints it (indented) and hooks read it (compact): runc's field
    /// order, Go's text (<see cref="GoJsonWriter"/>), annotations left out when there are none.
    /// Written field by field rather than through the serializer context: the container's init
    /// writes it too (createContainer and startContainer hooks) and carries no serializer.
    /// </summary>
    public string ToJson(bool indented)
    {
        var w = new GoJsonWriter(indented);
        Write(w);
        return w.ToString();
    }

    public void Write(GoJsonWriter w)
    {
        w.StartObject();
        w.String("ociVersion", OciVersion);
        w.String("id", Id);
        w.Number("pid", Pid);
        w.String("status", Status);
        w.String("bundle", Bundle);
        w.String("rootfs", Rootfs);
        w.String("created", Created);
        if (Annotations is { Count: > 0 })
        {
            w.Map("annotations", Annotations);
        }
        w.String("owner", Owner);
        w.EndObject();
    }
}
