using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Known;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Seccomp;

/// <summary>A compiled filter: the BPF program and the seccomp(2) flags to load it with.</summary>
public sealed record SeccompProgram(byte[] Bpf, uint Flags);

/// <summary>Compiles an OCI seccomp profile with libseccomp, in the parent, to BPF bytes for the init.</summary>
public static unsafe class SeccompCompiler
{
    public const uint NewListener = 8; // SECCOMP_FILTER_FLAG_NEW_LISTENER

    public static SeccompProgram Compile(Spec.Model.Seccomp profile)
    {
        bool notify = profile.DefaultAction == "SCMP_ACT_NOTIFY" || (profile.Syscalls ?? []).Any(s => s.Action == "SCMP_ACT_NOTIFY");
        if (notify && string.IsNullOrEmpty(profile.ListenerPath))
        {
            throw new ContainerException("seccomp: SCMP_ACT_NOTIFY needs listenerPath");
        }
        uint defaultAction = SeccompNames.Action(profile.DefaultAction, profile.DefaultErrnoRet);
        nint ctx = Libseccomp.seccomp_init(defaultAction);
        if (ctx == 0)
        {
            throw new ContainerException("seccomp_init failed");
        }
        try
        {
            // We load the program ourselves; libseccomp must not decide about no_new_privs.
            Libseccomp.seccomp_attr_set(ctx, Libseccomp.SCMP_FLTATR_CTL_NNP, 0);
            foreach (var arch in profile.Architectures ?? [])
            {
                int r = Libseccomp.seccomp_arch_add(ctx, SeccompNames.Architectures[arch]);
                if (r < 0 && r != -EEXIST)
                {
                    throw new ContainerException($"seccomp: adding architecture {arch}: {LinuxException.ErrnoText(-r)}");
                }
            }
            int newest = -1;
            foreach (var rule in profile.Syscalls ?? [])
            {
                newest = Math.Max(newest, AddRule(ctx, rule, defaultAction));
            }
            var bpf = Export(ctx);
            if (profile.DefaultAction != "SCMP_ACT_ALLOW" && newest >= 0)
            {
                bpf = [.. EnosysStub.For(newest), .. bpf];
            }
            // The kernel hands out the notification fd only when asked to at load time.
            uint flags = Flags(profile.Flags);
            return new SeccompProgram(bpf, notify ? flags | NewListener : flags & ~SeccompNames.WaitKillableRecv);
        }
        finally
        {
            Libseccomp.seccomp_release(ctx);
        }
    }

    /// <summary>Adds the rule; returns the highest native syscall number it names (-1 for none).</summary>
    private static int AddRule(nint ctx, Spec.Model.SeccompSyscall rule, uint defaultAction)
    {
        var numbers = rule.Names.Select(name => (Name: name, Nr: Libseccomp.seccomp_syscall_resolve_name(name))).ToList();
        int newest = numbers.Select(n => n.Nr).DefaultIfEmpty(-1).Max();
        uint action = SeccompNames.Action(rule.Action, rule.ErrnoRet);
        if (action == defaultAction)
        {
            // libseccomp refuses a rule that repeats the default; it would change nothing anyway.
            return newest;
        }
        var args = rule.Args ?? [];
        // Conditions on one argument index cannot be ANDed by libseccomp: each becomes its own rule (OR).
        bool repeatedIndex = args.GroupBy(a => a.Index).Any(g => g.Count() > 1);
        var ruleSets = repeatedIndex ? args.Select(a => new List<Spec.Model.SeccompArg> { a }).ToList() : [args];
        foreach (var (name, nr) in numbers)
        {
            if (nr == -1)
            {
                // A syscall this libseccomp does not know (newer kernel, other arch): skipped, as runc does.
                continue;
            }
            foreach (var set in ruleSets)
            {
                var cmps = set.Select(a => new ScmpArgCmp
                {
                    Arg = a.Index, Op = SeccompNames.Operators[a.Op], DatumA = a.Value, DatumB = a.ValueTwo,
                }).ToArray();
                fixed (ScmpArgCmp* p = cmps)
                {
                    int r = Libseccomp.seccomp_rule_add_array(ctx, action, nr, (uint)cmps.Length, p);
                    if (r < 0)
                    {
                        throw new ContainerException($"seccomp: adding rule for {name}: {LinuxException.ErrnoText(-r)}");
                    }
                }
            }
        }
        return newest;
    }

    private static byte[] Export(nint ctx)
    {
        using var memfd = new Fd(LinuxException.Check(Libc.memfd_create("seccomp-bpf", MFD_CLOEXEC), "memfd_create"));
        int r = Libseccomp.seccomp_export_bpf(ctx, memfd.Value);
        if (r < 0)
        {
            throw new ContainerException($"seccomp: exporting BPF: {LinuxException.ErrnoText(-r)}");
        }
        return File.ReadAllBytes($"/proc/self/fd/{memfd.Value}");
    }

    private static uint Flags(IEnumerable<string>? flags)
    {
        uint f = 0;
        foreach (var name in flags ?? [])
        {
            f |= SeccompNames.Flags.TryGetValue(name, out var v) ? v : throw new ContainerException($"seccomp flag {name} is not known to runc");
        }
        return f;
    }

    public static string? LibraryVersion()
    {
        var v = Libseccomp.seccomp_version();
        return v == null ? null : $"{v->Major}.{v->Minor}.{v->Micro}";
    }
}
