using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Sync;

/// <summary>One OCI hook in the binary field format, for the init's frame and the container's state alike.</summary>
public static class HookFields
{
    public static void Write(FieldWriter w, Hook h)
    {
        w.String(h.Path);
        w.Strings(h.Args);
        w.Strings(h.Env);
        w.NullableI32(h.Timeout);
    }

    public static Hook Read(FieldReader r) => new() { Path = r.String()!, Args = r.Strings(), Env = r.Strings(), Timeout = r.NullableI32() };
}
