using System.Text.Json;
using Ocirun.Runtime.Container;
using Ocirun.Runtime.Rootfs;
using Ocirun.Spec;
using Ocirun.Spec.Known;
using Ocirun.Spec.Model;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

public sealed class FeaturesCommand : ICommand
{
    public string Name => "features";
    public string Usage => "show the enabled features";
    public OptSpec[] Options => [];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        CommandContext.RequireNoArgs(args, "features");
        StdStreams.Out(JsonSerializer.Serialize(Build(), SpecJsonContext.Default.Features) + "\n");
        return 0;
    }

    /// <summary>Lists only what this runtime implements.</summary>
    public static Features Build() => new()
    {
        OciVersionMin = "1.0.0",
        OciVersionMax = DefaultSpec.SpecVersion,
        Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        MountOptions = MountOptions.Known.ToList(),
        Linux = new LinuxFeatures
        {
            Namespaces = NamespaceTypes.All.Select(n => n.Type).ToList(),
            Capabilities = CapabilityNames.All.ToList(),
            Cgroup = new CgroupFeatures { V1 = true, V2 = true, Systemd = true, SystemdUser = true, Rdma = false },
            Seccomp = new SeccompFeatures
            {
                Enabled = true,
                Actions = SeccompNames.Actions.ToList(),
                Operators = SeccompNames.Operators.Keys.ToList(),
                Archs = SeccompNames.Architectures.Keys.ToList(),
                KnownFlags = SeccompNames.Flags.Keys.ToList(),
                SupportedFlags = SeccompNames.Flags.Keys.ToList(),
            },
            Apparmor = new EnabledFeature { Enabled = true },
            Selinux = new EnabledFeature { Enabled = true },
            IntelRdt = new EnabledFeature { Enabled = false },
            MountExtensions = new MountExtensions { Idmap = new EnabledFeature { Enabled = true } },
        },
        Annotations = new()
        {
            ["org.opencontainers.runc.checkpoint.enabled"] = "true",
            ["io.github.seccomp.libseccomp.version"] = Runtime.Seccomp.SeccompCompiler.LibraryVersion() ?? "",
        },
        // Annotations that change what the runtime does: CRIU's configuration file, the
        // systemd unit's properties (a prefix).
        PotentiallyUnsafeConfigAnnotations = ["org.criu.config", Runtime.Cgroups.SystemdAnnotations.Prefix],
    };
}
