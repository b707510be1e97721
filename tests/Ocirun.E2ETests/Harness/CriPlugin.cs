using Ocirun.Tests.Shared;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// containerd's CRI plugin as a Kubernetes node configures it, for a private daemon: a runtime
/// class per runtime (the runc v2 shim with BinaryName set, the kubelet-facing name "ocirun" or
/// "runc"), restrict_oom_score_adj (this host lacks CAP_SYS_RESOURCE), the pause image built
/// here, and a CNI network of the daemon's own (<see cref="WriteCniNetwork"/>).
/// </summary>
public static class CriPlugin
{
    public const string PauseImage = "localhost/ocirun-e2e-pause:1";

    /// <summary>The pods' subnet: from 198.18.0.0/15 (RFC 2544, benchmarking), which no real network uses.</summary>
    public const string PodSubnet = "198.18.213.0/24";

    /// <summary>
    /// A bridge network for pods that do not share the host's: a bridge with no address on the
    /// host (isGateway false, no masquerade), addresses from <see cref="PodSubnet"/>. The host
    /// cannot reach it (the fixture routes the subnet `unreachable`), and no test tries.
    /// </summary>
    public static void WriteCniNetwork(string dir, string bridge)
    {
        var conf = Directory.CreateDirectory(Path.Combine(dir, "cni", "conf")).FullName;
        File.WriteAllText(Path.Combine(conf, "10-ocirun-e2e.conflist"), $$"""
            {
              "cniVersion": "1.0.0",
              "name": "ocirun-e2e",
              "plugins": [
                {
                  "type": "bridge", "bridge": "{{bridge}}", "isGateway": false, "ipMasq": false,
                  "ipam": { "type": "host-local", "ranges": [[{ "subnet": "{{PodSubnet}}" }]], "dataDir": "{{dir}}/cni/ipam" }
                }
              ]
            }
            """);
    }

    public static string Config(string dir, string runtimeRoot, string pauseImage)
    {
        var section = "plugins.\"io.containerd.grpc.v1.cri\"";
        // ocirun's runtime class is the README's block as it stands; both get a state root of
        // the fixture's (a key added to the options table the block ends with).
        var ocirun = ReadmeBlock.Get("containerd-cri", ContainerdFixture.RuntimeBinary("ocirun")) + $"    Root = \"{runtimeRoot}\"\n";
        var runc = ocirun.Replace("runtimes.ocirun", "runtimes.runc").Replace(ContainerdFixture.RuntimeBinary("ocirun"), ContainerdFixture.RuntimeBinary("runc"));
        return $"""
            [{section}]
              sandbox_image = "{pauseImage}"
              restrict_oom_score_adj = true
              enable_selinux = false
              disable_apparmor = true
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              [{section}.containerd]
                snapshotter = "overlayfs"
                default_runtime_name = "ocirun"
            {ocirun}
            {runc}
              [{section}.cni]
                bin_dir = "/usr/lib/cni"
                conf_dir = "{dir}/cni/conf"
            """;
    }

    /// <summary>A root filesystem holding only /pause, a static binary built from Cri/pause.c.</summary>
    public static string BuildPauseRootfs(string dir)
    {
        var rootfs = Path.Combine(dir, "pause-rootfs");
        Directory.CreateDirectory(rootfs);
        ContainerdRun.Program("gcc", ["-static", "-O2", "-o", Path.Combine(rootfs, "pause"),
            Path.Combine(RepoPaths.Root, "tests", "Ocirun.E2ETests", "Cri", "pause.c")]).EnsureSuccess();
        return rootfs;
    }
}
