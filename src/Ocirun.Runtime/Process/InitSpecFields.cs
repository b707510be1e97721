using Ocirun.Runtime.Sync;
using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Process;

/// <summary>
/// The spec as the init needs it, field by field. Left out, because only the parent uses
/// them: linux.resources (cgroups; the init learns only whether CPUs are pinned), linux.seccomp
/// (compiled in the parent), linux.intelRdt, and the hooks the init does not run. A unit test
/// fails when a model property is neither here nor on that list.
/// </summary>
public static class InitSpecFields
{
    public static void Write(FieldWriter w, Spec.Model.Spec s)
    {
        w.String(s.OciVersion);
        if (w.Present(s.Root != null))
        {
            w.String(s.Root!.Path);
            w.Bool(s.Root.Readonly);
        }
        if (w.Present(s.Process != null))
        {
            WriteProcess(w, s.Process!);
        }
        w.String(s.Hostname);
        w.String(s.Domainname);
        w.List(s.Mounts, WriteMount);
        if (w.Present(s.Hooks != null))
        {
            w.List(s.Hooks!.CreateContainer, HookFields.Write);
            w.List(s.Hooks.StartContainer, HookFields.Write);
        }
        w.StringMap(s.Annotations);
        if (w.Present(s.Linux != null))
        {
            WriteLinux(w, s.Linux!);
        }
    }

    public static Spec.Model.Spec Read(FieldReader r) => new()
    {
        OciVersion = r.String()!,
        Root = r.Present() ? new Root { Path = r.String()!, Readonly = r.Bool() } : null,
        Process = r.Present() ? ReadProcess(r) : null,
        Hostname = r.String(),
        Domainname = r.String(),
        Mounts = r.List(ReadMount),
        Hooks = r.Present() ? new Hooks { CreateContainer = r.List(HookFields.Read), StartContainer = r.List(HookFields.Read) } : null,
        Annotations = r.StringMap(),
        Linux = r.Present() ? ReadLinux(r) : null,
    };

    private static void WriteProcess(FieldWriter w, Spec.Model.Process p)
    {
        w.Bool(p.Terminal);
        if (w.Present(p.ConsoleSize != null))
        {
            w.U32(p.ConsoleSize!.Height);
            w.U32(p.ConsoleSize.Width);
        }
        w.U32(p.User.Uid);
        w.U32(p.User.Gid);
        w.NullableU32(p.User.Umask);
        w.List(p.User.AdditionalGids, static (w, g) => w.U32(g));
        w.String(p.User.Username);
        w.Strings(p.Args);
        w.String(p.CommandLine);
        w.Strings(p.Env);
        w.String(p.Cwd);
        if (w.Present(p.Capabilities != null))
        {
            var c = p.Capabilities!;
            w.Strings(c.Bounding);
            w.Strings(c.Effective);
            w.Strings(c.Inheritable);
            w.Strings(c.Permitted);
            w.Strings(c.Ambient);
        }
        w.List(p.Rlimits, static (w, l) => { w.String(l.Type); w.U64(l.Hard); w.U64(l.Soft); });
        w.Bool(p.NoNewPrivileges);
        w.String(p.ApparmorProfile);
        w.NullableI32(p.OomScoreAdj);
        if (w.Present(p.Scheduler != null))
        {
            var s = p.Scheduler!;
            w.String(s.Policy);
            w.NullableI32(s.Nice);
            w.NullableI32(s.Priority);
            w.Strings(s.Flags);
            w.NullableU64(s.Runtime);
            w.NullableU64(s.Deadline);
            w.NullableU64(s.Period);
        }
        w.String(p.SelinuxLabel);
        if (w.Present(p.IoPriority != null))
        {
            w.String(p.IoPriority!.Class);
            w.I32(p.IoPriority.Priority);
        }
        if (w.Present(p.ExecCPUAffinity != null))
        {
            w.String(p.ExecCPUAffinity!.Initial);
            w.String(p.ExecCPUAffinity.Final);
        }
    }

    private static Spec.Model.Process ReadProcess(FieldReader r) => new()
    {
        Terminal = r.Bool(),
        ConsoleSize = r.Present() ? new ConsoleSize { Height = r.U32(), Width = r.U32() } : null,
        User = new User
        {
            Uid = r.U32(),
            Gid = r.U32(),
            Umask = r.NullableU32(),
            AdditionalGids = r.List(static r => r.U32()),
            Username = r.String(),
        },
        Args = r.Strings(),
        CommandLine = r.String(),
        Env = r.Strings(),
        Cwd = r.String()!,
        Capabilities = r.Present()
            ? new Capabilities
            {
                Bounding = r.Strings(), Effective = r.Strings(), Inheritable = r.Strings(), Permitted = r.Strings(),
                Ambient = r.Strings(),
            }
            : null,
        Rlimits = r.List(static r => new Rlimit { Type = r.String()!, Hard = r.U64(), Soft = r.U64() }),
        NoNewPrivileges = r.Bool(),
        ApparmorProfile = r.String(),
        OomScoreAdj = r.NullableI32(),
        Scheduler = r.Present()
            ? new Scheduler
            {
                Policy = r.String()!, Nice = r.NullableI32(), Priority = r.NullableI32(), Flags = r.Strings(),
                Runtime = r.NullableU64(), Deadline = r.NullableU64(), Period = r.NullableU64(),
            }
            : null,
        SelinuxLabel = r.String(),
        IoPriority = r.Present() ? new IoPriority { Class = r.String()!, Priority = r.I32() } : null,
        ExecCPUAffinity = r.Present() ? new ExecCpuAffinity { Initial = r.String(), Final = r.String() } : null,
    };

    private static void WriteMount(FieldWriter w, Mount m)
    {
        w.String(m.Destination);
        w.String(m.Type);
        w.String(m.Source);
        w.Strings(m.Options);
        w.List(m.UidMappings, WriteIdMapping);
        w.List(m.GidMappings, WriteIdMapping);
    }

    private static Mount ReadMount(FieldReader r) => new()
    {
        Destination = r.String()!,
        Type = r.String(),
        Source = r.String(),
        Options = r.Strings(),
        UidMappings = r.List(ReadIdMapping),
        GidMappings = r.List(ReadIdMapping),
    };

    private static void WriteIdMapping(FieldWriter w, IdMapping m)
    {
        w.U32(m.ContainerId);
        w.U32(m.HostId);
        w.U32(m.Size);
    }

    private static IdMapping ReadIdMapping(FieldReader r) => new() { ContainerId = r.U32(), HostId = r.U32(), Size = r.U32() };

    private static void WriteLinux(FieldWriter w, Spec.Model.Linux l)
    {
        w.List(l.UidMappings, WriteIdMapping);
        w.List(l.GidMappings, WriteIdMapping);
        w.StringMap(l.Sysctl);
        w.String(l.CgroupsPath);
        w.List(l.Namespaces, static (w, n) => { w.String(n.Type); w.String(n.Path); });
        w.List(l.Devices, static (w, d) =>
        {
            w.String(d.Type);
            w.String(d.Path);
            w.I64(d.Major);
            w.I64(d.Minor);
            w.NullableU32(d.FileMode);
            w.NullableU32(d.Uid);
            w.NullableU32(d.Gid);
        });
        w.String(l.RootfsPropagation);
        w.Strings(l.MaskedPaths);
        w.Strings(l.ReadonlyPaths);
        w.String(l.MountLabel);
        if (w.Present(l.Personality != null))
        {
            w.String(l.Personality!.Domain);
            w.Strings(l.Personality.Flags);
        }
        w.Map(l.TimeOffsets, static (w, t) => { w.I64(t.Secs); w.U32(t.Nanosecs); });
    }

    private static Spec.Model.Linux ReadLinux(FieldReader r) => new()
    {
        UidMappings = r.List(ReadIdMapping),
        GidMappings = r.List(ReadIdMapping),
        Sysctl = r.StringMap(),
        CgroupsPath = r.String(),
        Namespaces = r.List(static r => new Namespace { Type = r.String()!, Path = r.String() }),
        Devices = r.List(static r => new Device
        {
            Type = r.String()!, Path = r.String()!, Major = r.I64(), Minor = r.I64(), FileMode = r.NullableU32(),
            Uid = r.NullableU32(), Gid = r.NullableU32(),
        }),
        RootfsPropagation = r.String(),
        MaskedPaths = r.Strings(),
        ReadonlyPaths = r.Strings(),
        MountLabel = r.String(),
        Personality = r.Present() ? new Personality { Domain = r.String()!, Flags = r.Strings() } : null,
        TimeOffsets = r.Map(static r => new TimeOffset { Secs = r.I64(), Nanosecs = r.U32() }),
    };
}
