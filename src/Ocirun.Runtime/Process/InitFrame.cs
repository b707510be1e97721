using Ocirun.Runtime.Sync;

namespace Ocirun.Runtime.Process;

/// <summary>
/// The one frame that tells the init its job: <see cref="InitConfig"/> and the part of the spec
/// the init uses (<see cref="InitSpecFields"/>), built once in the parent. Binary rather than
/// JSON: the init then starts no serializer, builds no metadata and seeds no hash codes (which
/// left the runtime's /dev/urandom open in a created container's init).
/// </summary>
public static class InitFrame
{
    public static byte[] Encode(InitConfig c)
    {
        var w = new FieldWriter();
        w.String(c.Rootfs);
        w.Bool(c.NoPivot);
        w.Bool(c.NoNewKeyring);
        w.I32(c.FifoFd);
        w.I32(c.ConsoleSocketFd);
        w.Bool(c.ConsoleRelayed);
        w.I32(c.PreserveFds);
        w.Bytes(c.SeccompBpf);
        w.U32(c.SeccompFlags);
        w.StringMap(c.CgroupPaths);
        w.Bool(c.Exec);
        w.Bool(c.OwnMountNamespace);
        w.Bool(c.NewCgroupNamespace);
        w.Bool(c.InUserNamespace);
        w.List(c.MountSources.ToList(), static (w, s) => { w.I32(s.Key); w.I32(s.Value); });
        w.List(c.MountSourceRequests, static (w, i) => w.I32(i));
        w.Bool(c.ParentHooks);
        w.Bool(c.CpusPinned);
        InitSpecFields.Write(w, c.Spec);
        return w.ToArray();
    }

    public static InitConfig Decode(byte[] frame)
    {
        var r = new FieldReader(frame);
        var c = new InitConfig
        {
            Rootfs = r.String()!,
            NoPivot = r.Bool(),
            NoNewKeyring = r.Bool(),
            FifoFd = r.I32(),
            ConsoleSocketFd = r.I32(),
            ConsoleRelayed = r.Bool(),
            PreserveFds = r.I32(),
            SeccompBpf = r.Bytes(),
            SeccompFlags = r.U32(),
            CgroupPaths = r.StringMap()!,
            Exec = r.Bool(),
            OwnMountNamespace = r.Bool(),
            NewCgroupNamespace = r.Bool(),
            InUserNamespace = r.Bool(),
            MountSources = r.List(static r => (Index: r.I32(), Fd: r.I32()))!.ToDictionary(s => s.Index, s => s.Fd),
            MountSourceRequests = r.List(static r => r.I32())!,
            ParentHooks = r.Bool(),
            CpusPinned = r.Bool(),
            Spec = InitSpecFields.Read(r),
        };
        return r.AtEnd ? c : throw new InvalidDataException("init frame has bytes after its last field");
    }
}
