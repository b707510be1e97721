using Ocirun.Runtime.Seccomp;
using Ocirun.Runtime.State;
using Ocirun.Runtime.Sync;

namespace Ocirun.Runtime.Process;

/// <summary>
/// What `exec` takes from the container rather than from its own arguments, kept at create
/// in ROOT/ID/exec.bin (binary, <see cref="FieldWriter"/>): the container's process (what an
/// exec without --process starts from), the namespaces to join, the personality, the seccomp
/// filter already compiled, the listener it reports to, the root and annotations. Like runc, which keeps its whole configuration in
/// its state: an exec neither depends on the bundle's config.json being there and unchanged,
/// nor parses it and compiles the profile again.
/// </summary>
public sealed class ExecBase
{
    public const string File = "exec.bin";

    /// <summary>A spec with only the parts above.</summary>
    public required Spec.Model.Spec Spec { get; init; }
    public SeccompProgram? Seccomp { get; init; }

    public static ExecBase From(Spec.Model.Spec spec, SeccompProgram? seccomp) => new()
    {
        Spec = new Spec.Model.Spec
        {
            OciVersion = spec.OciVersion,
            Root = spec.Root,
            Annotations = spec.Annotations,
            Process = spec.Process,
            Linux = new Spec.Model.Linux
            {
                Namespaces = spec.Linux?.Namespaces,
                Personality = spec.Linux?.Personality,
                Seccomp = spec.Linux?.Seccomp is { } s
                    ? new Spec.Model.Seccomp { ListenerPath = s.ListenerPath, ListenerMetadata = s.ListenerMetadata }
                    : null,
            },
        },
        Seccomp = seccomp,
    };

    public byte[] Encode()
    {
        var w = new FieldWriter();
        InitSpecFields.Write(w, Spec);
        var listener = Spec.Linux?.Seccomp;
        if (w.Present(listener != null))
        {
            w.String(listener!.ListenerPath);
            w.String(listener.ListenerMetadata);
        }
        w.Bytes(Seccomp?.Bpf);
        w.U32(Seccomp?.Flags ?? 0);
        return w.ToArray();
    }

    public static ExecBase Decode(byte[] data)
    {
        var r = new FieldReader(data);
        var spec = InitSpecFields.Read(r);
        if (r.Present())
        {
            spec.Linux ??= new Spec.Model.Linux();
            spec.Linux.Seccomp = new Spec.Model.Seccomp { ListenerPath = r.String(), ListenerMetadata = r.String() };
        }
        var bpf = r.Bytes();
        var flags = r.U32();
        if (!r.AtEnd)
        {
            throw new InvalidDataException($"{File} has bytes after its last field");
        }
        return new ExecBase { Spec = spec, Seccomp = bpf == null ? null : new SeccompProgram(bpf, flags) };
    }

    /// <summary>Writes what `exec` needs of the container into its state, atomically.</summary>
    public void SaveTo(StateStore store, string id) => store.SaveFile(id, File, Encode());

    /// <summary>What `exec` needs of the container, or null for one created before exec.bin existed.</summary>
    public static ExecBase? LoadFrom(StateStore store, string id)
    {
        if (store.LoadFile(id, File) is not { } data)
        {
            return null;
        }
        try
        {
            return Decode(data);
        }
        catch (InvalidDataException e)
        {
            throw new ContainerException($"container {id}: unreadable {File}: {e.Message}");
        }
    }
}
