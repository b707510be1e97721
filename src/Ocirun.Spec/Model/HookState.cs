using System.Text.Json;

namespace Ocirun.Spec.Model;

/// <summary>
/// The state a hook reads on its stdin (runtime-spec "state"), written as runc writes it:
/// compact, ociVersion, id, status, pid, bundle, annotations. Written field by field rather than
/// through a serializer context, because the container's init writes it too (createContainer
/// and startContainer hooks) and carries no serializer. Pid 0 (a stopped container) is left
/// out, as Go's omitempty does.
/// </summary>
public static class HookState
{
    public static string Json(string ociVersion, string id, int pid, string status, string bundle,
        Dictionary<string, string>? annotations)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", ociVersion);
            w.WriteString("id", id);
            w.WriteString("status", status);
            if (pid != 0)
            {
                w.WriteNumber("pid", pid);
            }
            w.WriteString("bundle", bundle);
            if (annotations is { Count: > 0 })
            {
                w.WriteStartObject("annotations");
                foreach (var (key, value) in annotations)
                {
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
