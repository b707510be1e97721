using System.Text.Json;

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
    /// The document as `state` prints it (indented) and hooks read it (compact), fields in
    /// runc's order, null ones left out. Written field by field rather than through the
    /// serializer context: the container's init writes it too (createContainer and
    /// startContainer hooks) and carries no serializer.
    /// </summary>
    public string ToJson(bool indented)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, IndentSize = 2 }))
        {
            Write(w);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("ociVersion", OciVersion);
        w.WriteString("id", Id);
        w.WriteNumber("pid", Pid);
        w.WriteString("status", Status);
        w.WriteString("bundle", Bundle);
        w.WriteString("rootfs", Rootfs);
        w.WriteString("created", Created);
        if (Annotations != null)
        {
            w.WriteStartObject("annotations");
            foreach (var (key, value) in Annotations)
            {
                w.WriteString(key, value);
            }
            w.WriteEndObject();
        }
        w.WriteString("owner", Owner);
        w.WriteEndObject();
    }
}
