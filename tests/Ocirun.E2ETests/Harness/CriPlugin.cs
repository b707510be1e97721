using Ocirun.Tests.Shared;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// containerd's CRI plugin as a Kubernetes node configures it, for a private daemon: a runtime
/// class per runtime (the runc v2 shim with BinaryName set, the kubelet-facing name "ocirun" or
/// "runc"), restrict_oom_score_adj (this host lacks CAP_SYS_RESOURCE), the pause image built
/// here, and CNI directories of the daemon's own (empty: the tests' pods use the host network).
/// </summary>
public static class CriPlugin
{
    public const string PauseImage = "localhost/ocirun-e2e-pause:1";

    public static string Config(string dir, string runtimeRoot, string pauseImage)
    {
        var section = "plugins.\"io.containerd.grpc.v1.cri\"";
        string Runtime(string name, string binary) => $"""
                [{section}.containerd.runtimes.{name}]
                  runtime_type = "io.containerd.runc.v2"
                  [{section}.containerd.runtimes.{name}.options]
                    BinaryName = "{binary}"
                    Root = "{runtimeRoot}"
            """;
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
            {Runtime("ocirun", ContainerdFixture.RuntimeBinary("ocirun"))}
            {Runtime("runc", ContainerdFixture.RuntimeBinary("runc"))}
              [{section}.cni]
                bin_dir = "{dir}/cni/bin"
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
