using Ocirun.Spec;
using Ocirun.Spec.Model;

namespace Ocirun.Cli.Commands;

public sealed class UpdateCommand : ICommand
{
    public string Name => "update";
    public string Usage => "update container resource constraints";

    public OptSpec[] Options =>
    [
        new("resources", OptKind.Value, "r"), new("blkio-weight", OptKind.Value), new("cpu-period", OptKind.Value),
        new("cpu-quota", OptKind.Value), new("cpu-burst", OptKind.Value), new("cpu-share", OptKind.Value),
        new("cpu-rt-period", OptKind.Value), new("cpu-rt-runtime", OptKind.Value), new("cpuset-cpus", OptKind.Value),
        new("cpuset-mems", OptKind.Value), new("cpu-idle", OptKind.Value), new("kernel-memory", OptKind.Value),
        new("kernel-memory-tcp", OptKind.Value), new("memory", OptKind.Value), new("memory-reservation", OptKind.Value),
        new("memory-swap", OptKind.Value), new("pids-limit", OptKind.Value), new("l3-cache-schema", OptKind.Value),
        new("mem-bw-schema", OptKind.Value),
    ];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        // runc's order: its integer flags are read with the command line, the rest once the
        // container is known (a bad --memory for no container is "container does not exist").
        foreach (var flag in IntFlags)
        {
            if (args.Get(flag) is { } v && GoNumbers.ParseInt(v) == null)
            {
                throw UsageException.BadNumber(v, flag);
            }
        }
        ctx.Containers.Update(id, () => Build(args));
        return 0;
    }

    private static readonly string[] IntFlags = ["blkio-weight", "pids-limit"];

    /// <summary>--resources (a file, or - for stdin) alone, or the individual flags.</summary>
    public static Resources Build(ParsedArgs args)
    {
        if (args.Get("resources") is { } source)
        {
            var json = source == "-" ? Console.In.ReadToEnd() : File.ReadAllText(source);
            return SpecJson.ParseResources(json);
        }
        var r = new Resources();
        if (args.Get("blkio-weight") is { } bw)
        {
            r.BlockIO = new BlockIo { Weight = (ushort)long.Parse(bw, System.Globalization.CultureInfo.InvariantCulture) };
        }
        var cpu = new CpuResources
        {
            Period = U(args, "cpu-period"), Quota = L(args, "cpu-quota"), Burst = U(args, "cpu-burst"),
            Shares = U(args, "cpu-share"), RealtimePeriod = U(args, "cpu-rt-period"),
            RealtimeRuntime = L(args, "cpu-rt-runtime"), Cpus = args.Get("cpuset-cpus"), Mems = args.Get("cpuset-mems"),
            Idle = L(args, "cpu-idle"),
        };
        if (cpu.Period != null || cpu.Quota != null || cpu.Burst != null || cpu.Shares != null || cpu.RealtimePeriod != null
            || cpu.RealtimeRuntime != null || cpu.Cpus != null || cpu.Mems != null || cpu.Idle != null)
        {
            r.Cpu = cpu;
        }
        var mem = new MemoryResources
        {
            Limit = Size(args, "memory"), Reservation = Size(args, "memory-reservation"), Swap = Size(args, "memory-swap"),
            Kernel = Size(args, "kernel-memory"), KernelTCP = Size(args, "kernel-memory-tcp"),
        };
        if (mem.Limit != null || mem.Reservation != null || mem.Swap != null || mem.Kernel != null || mem.KernelTCP != null)
        {
            r.Memory = mem;
        }
        if (args.Get("pids-limit") is { } pids)
        {
            r.Pids = new PidsResources { Limit = long.Parse(pids, System.Globalization.CultureInfo.InvariantCulture) };
        }
        if (args.Get("l3-cache-schema") != null || args.Get("mem-bw-schema") != null)
        {
            throw new Runtime.ContainerException("intelRdt is not supported on this host");
        }
        return r;
    }

    /// <summary>A flag read as Go's strconv.ParseUint(v, 10, 64) reads it, a failure in runc's words.</summary>
    private static ulong? U(ParsedArgs a, string name) =>
        a.Get(name) is { } v ? GoNumbers.ParseUint(v) ?? throw Invalid(name, GoNumbers.ParseUintError(v)) : null;

    /// <summary>A flag read as Go's strconv.ParseInt(v, 10, 64) reads it.</summary>
    private static long? L(ParsedArgs a, string name) =>
        a.Get(name) is { } v ? GoNumbers.ParseInt(v) ?? throw Invalid(name, GoNumbers.ParseIntError(v)) : null;

    private static Runtime.ContainerException Invalid(string name, string why) => new($"invalid value for {name}: {why}");

    private static long? Size(ParsedArgs a, string name) => a.Get(name) is { } v ? ParseSize(v, name) : null;

    /// <summary>Byte sizes as runc reads them: 1024, 512k, 256m, 1g (binary units); -1 is unlimited.</summary>
    public static long ParseSize(string v, string name = "memory")
    {
        if (v == "-1")
        {
            return -1;
        }
        var s = v.Trim().ToLowerInvariant().TrimEnd('b');
        long mult = 1;
        if (s.Length > 0 && "kmgtp".Contains(s[^1]))
        {
            mult = 1L << (10 * ("kmgtp".IndexOf(s[^1]) + 1));
            s = s[..^1];
        }
        return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= 0
            ? (long)(d * mult)
            : throw new Runtime.ContainerException($"invalid value for {name}: invalid size: '{v}'");
    }
}
