using Ocirun.Runtime.Sync;
using Ocirun.Spec.Model;

namespace Ocirun.Runtime.State;

/// <summary>
/// A <see cref="ContainerRecord"/> as ROOT/ID/state.bin: the binary field format, read by every
/// command that names a container. state, kill, start, delete, ps and list thus start no JSON
/// serializer for it (a first use builds its metadata: about 100 page faults per command).
/// </summary>
public static class RecordCodec
{
    /// <summary>First field of the file: a different layout gets a different mark, never a misreading.</summary>
    public const string Mark = "ocirun-state-1";

    public static byte[] Encode(ContainerRecord c)
    {
        var w = new FieldWriter();
        w.String(Mark);
        w.String(c.Id);
        w.String(c.OciVersion);
        w.I32(c.InitPid);
        w.U64(c.InitStartTime);
        w.String(c.Bundle);
        w.String(c.Rootfs);
        w.String(c.Created);
        w.StringMap(c.Annotations);
        w.StringMap(c.CgroupPaths);
        w.String(c.SystemdUnit);
        w.Bool(c.SystemdUserBus);
        w.Bool(c.NoPivot);
        if (w.Present(c.Hooks != null))
        {
            var h = c.Hooks!;
            foreach (var list in new[] { h.Prestart, h.CreateRuntime, h.CreateContainer, h.StartContainer, h.Poststart, h.Poststop })
            {
                w.List(list, HookFields.Write);
            }
        }
        return w.ToArray();
    }

    /// <exception cref="InvalidDataException">Not a record of this layout, or cut short.</exception>
    public static ContainerRecord Decode(byte[] data)
    {
        var r = new FieldReader(data);
        if (r.String() != Mark)
        {
            throw new InvalidDataException($"not an ocirun record ({Mark})");
        }
        var c = new ContainerRecord
        {
            Id = r.String()!, OciVersion = r.String()!, InitPid = r.I32(), InitStartTime = r.U64(), Bundle = r.String()!,
            Rootfs = r.String()!, Created = r.String()!, Annotations = r.StringMap(), CgroupPaths = r.StringMap() ?? [],
            SystemdUnit = r.String(), SystemdUserBus = r.Bool(), NoPivot = r.Bool(),
            Hooks = r.Present()
                ? new Hooks
                {
                    Prestart = r.List(HookFields.Read), CreateRuntime = r.List(HookFields.Read),
                    CreateContainer = r.List(HookFields.Read), StartContainer = r.List(HookFields.Read),
                    Poststart = r.List(HookFields.Read), Poststop = r.List(HookFields.Read),
                }
                : null,
        };
        return r.AtEnd ? c : throw new InvalidDataException("bytes after the last field");
    }
}
