using Cri.V1;
using Ocirun.E2ETests.Harness;

namespace Ocirun.E2ETests;

/// <summary>
/// containerd's CRI plugin driven over gRPC the way the kubelet drives it, with the runtime
/// class "ocirun" (the runc v2 shim running ocirun) and, as the reference, "runc": a host-network
/// pod, a container in it, ExecSync, status, stats, a resource update, log reopening, stop and
/// removal, on the host's network or on a CNI bridge (whose addresses no test ever connects to).
/// </summary>
[Collection(CriCollection.Name)]
public sealed class CriTests(CriFixture cri)
{
    public static TheoryData<string> Runtimes => new() { "ocirun", "runc" };

    private RuntimeService.RuntimeServiceClient Rt => cri.Client.Runtime;

    /// <summary>What the kubelet asks for: ocirun's is the handler of the README's RuntimeClass.</summary>
    private static string Handler(string runtime) => runtime != "ocirun" ? runtime
        : Ocirun.Tests.Shared.ReadmeBlock.Get("runtimeclass", "").Split('\n').Single(l => l.StartsWith("handler: ", StringComparison.Ordinal))["handler: ".Length..];

    /// <summary>A pod on the host's network with its own pid and ipc namespaces, its cgroup under the fixture's parent.</summary>
    private (string Id, PodSandboxConfig Config) RunPod(string runtime, string name, bool privileged = false, bool hostNetwork = true)
    {
        var uid = Guid.NewGuid().ToString("n");
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = uid, Namespace = "ocirun-e2e", Attempt = 0 },
            // The kubelet gives no hostname to a pod on the host's network (it has the host's UTS namespace).
            Hostname = hostNetwork ? "" : name,
            LogDirectory = Path.Combine(cri.Dir, "pods", uid),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = $"/{cri.CgroupParent}/pod{uid[..12]}",
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption
                    {
                        Network = hostNetwork ? NamespaceMode.Node : NamespaceMode.Pod, Pid = NamespaceMode.Pod, Ipc = NamespaceMode.Pod,
                    },
                    Privileged = privileged,
                },
            },
        };
        Directory.CreateDirectory(config.LogDirectory);
        var id = Rt.RunPodSandbox(new RunPodSandboxRequest { Config = config, RuntimeHandler = Handler(runtime) }).PodSandboxId;
        return (id, config);
    }

    private string CreateContainer(string podId, PodSandboxConfig pod, string name, params string[] command) =>
        CreateContainer(podId, pod, name, _ => { }, command);

    private string CreateContainer(string podId, PodSandboxConfig pod, string name, Action<ContainerConfig> edit, params string[] command)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name },
            Image = new ImageSpec { Image = ContainerdFixture.Image },
            LogPath = name + ".log",
            Linux = new LinuxContainerConfig
            {
                Resources = new LinuxContainerResources { MemoryLimitInBytes = 64 << 20, CpuShares = 512, CpuPeriod = 100000, CpuQuota = 50000 },
            },
        };
        config.Command.AddRange(command);
        edit(config);
        return Rt.CreateContainer(new CreateContainerRequest { PodSandboxId = podId, Config = config, SandboxConfig = pod }).ContainerId;
    }

    /// <summary>
    /// Stops and removes the pod, then its cgroup, as the kubelet does (the runtimes made it on
    /// the way to the containers' own, which they removed: anything below it is a leak).
    /// </summary>
    private void RemovePod(string podId, PodSandboxConfig pod)
    {
        Rt.StopPodSandbox(new StopPodSandboxRequest { PodSandboxId = podId });
        Rt.RemovePodSandbox(new RemovePodSandboxRequest { PodSandboxId = podId });
        Assert.DoesNotContain(Rt.ListPodSandbox(new ListPodSandboxRequest()).Items, p => p.Id == podId);
        var leaks = new List<string>();
        CgroupTree.Remove(pod.Linux.CgroupParent.TrimStart('/'), leaks);
        Assert.Empty(leaks);
    }

    private string HostCgroupFile(PodSandboxConfig pod, string containerId, string controller, string file) =>
        Path.Combine("/sys/fs/cgroup", controller, pod.Linux.CgroupParent.TrimStart('/'), containerId, file);

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void APodsContainerRunsExecsUpdatesReopensItsLogAndStops(string runtime)
    {
        var (podId, pod) = RunPod(runtime, "pod-" + runtime);
        try
        {
            Assert.Equal(PodSandboxState.SandboxReady, Rt.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = podId }).Status.State);
            var id = CreateContainer(podId, pod, "counter", "sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.1; done");
            Rt.StartContainer(new StartContainerRequest { ContainerId = id });
            var status = Rt.ContainerStatus(new ContainerStatusRequest { ContainerId = id }).Status;
            Assert.Equal(ContainerState.ContainerRunning, status.State);

            // ExecSync: the kubelet's probes and `kubectl exec` without a terminal.
            var exec = Rt.ExecSync(new ExecSyncRequest { ContainerId = id, Cmd = { "sh", "-c", "echo out; echo err >&2; exit 3" }, Timeout = 10 });
            Assert.Equal(("out\n", "err\n", 3), (exec.Stdout.ToStringUtf8(), exec.Stderr.ToStringUtf8(), exec.ExitCode));
            // The pod's pid namespace: the pause process is pid 1, the container's shell is not.
            var ps = Rt.ExecSync(new ExecSyncRequest { ContainerId = id, Cmd = { "sh", "-c", "cat /proc/1/cmdline; echo; hostname" }, Timeout = 10 });
            Assert.Equal($"/pause\n{Environment.MachineName}\n", ps.Stdout.ToStringUtf8().Replace("\0", ""));

            // The limits the kubelet gave, in the cgroup containerd chose (the pod's parent, then the id).
            Assert.Equal((64 << 20).ToString(), File.ReadAllText(HostCgroupFile(pod, id, "memory", "memory.limit_in_bytes")).Trim());
            Assert.Equal("50000", File.ReadAllText(HostCgroupFile(pod, id, "cpu", "cpu.cfs_quota_us")).Trim());
            Rt.UpdateContainerResources(new UpdateContainerResourcesRequest
            {
                ContainerId = id,
                Linux = new LinuxContainerResources { MemoryLimitInBytes = 96 << 20, CpuShares = 256, CpuPeriod = 100000, CpuQuota = 25000 },
            });
            Assert.Equal((96 << 20).ToString(), File.ReadAllText(HostCgroupFile(pod, id, "memory", "memory.limit_in_bytes")).Trim());
            Assert.Equal("256", File.ReadAllText(HostCgroupFile(pod, id, "cpu", "cpu.shares")).Trim());

            var stats = Rt.ContainerStats(new ContainerStatsRequest { ContainerId = id }).Stats;
            Assert.True(stats.Memory.WorkingSetBytes.Value > 0 && stats.Cpu.UsageCoreNanoSeconds.Value > 0, stats.ToString());

            // Log rotation: the kubelet renames the file, then asks for a new one.
            var log = Path.Combine(pod.LogDirectory, "counter.log");
            Poll.Until(() => File.Exists(log) && File.ReadAllText(log).Contains("line 3"), "the container's log");
            File.Move(log, log + ".1");
            Rt.ReopenContainerLog(new ReopenContainerLogRequest { ContainerId = id });
            Poll.Until(() => File.Exists(log) && File.ReadAllText(log).Contains(" stdout F line "), "lines in the reopened log");

            Rt.StopContainer(new StopContainerRequest { ContainerId = id, Timeout = 2 });
            status = Rt.ContainerStatus(new ContainerStatusRequest { ContainerId = id }).Status;
            Assert.Equal(ContainerState.ContainerExited, status.State);
            Rt.RemoveContainer(new RemoveContainerRequest { ContainerId = id });
            Assert.DoesNotContain(Rt.ListContainers(new ListContainersRequest()).Containers, c => c.Id == id);
            Assert.False(Directory.Exists(Path.GetDirectoryName(HostCgroupFile(pod, id, "memory", "x"))));
        }
        finally
        {
            RemovePod(podId, pod);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void AContainerThatExitsReportsItsCodeAndOutput(string runtime)
    {
        var (podId, pod) = RunPod(runtime, "exit-" + runtime);
        try
        {
            var id = CreateContainer(podId, pod, "exits", "sh", "-c", "echo bye; exit 7");
            Rt.StartContainer(new StartContainerRequest { ContainerId = id });
            Poll.Until(() => Rt.ContainerStatus(new ContainerStatusRequest { ContainerId = id }).Status.State == ContainerState.ContainerExited,
                "the container to exit");
            var status = Rt.ContainerStatus(new ContainerStatusRequest { ContainerId = id }).Status;
            Assert.Equal(7, status.ExitCode);
            Assert.Contains(" stdout F bye", File.ReadAllText(Path.Combine(pod.LogDirectory, "exits.log")));
            Rt.RemoveContainer(new RemoveContainerRequest { ContainerId = id });
        }
        finally
        {
            RemovePod(podId, pod);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void ABidirectionalMountShowsTheContainersMountsOnTheHost(string runtime)
    {
        // What CSI drivers rely on: a host directory on a shared mount, mounted Bidirectional
        // into a privileged container (containerd then asks for rootfsPropagation rshared).
        var shared = Path.Combine(cri.Dir, "shared-" + runtime);
        Directory.CreateDirectory(shared);
        ContainerdRun.Program("mount", ["--bind", shared, shared]).EnsureSuccess();
        ContainerdRun.Program("mount", ["--make-rshared", shared]).EnsureSuccess();
        var (podId, pod) = RunPod(runtime, "prop-" + runtime, privileged: true);
        try
        {
            var id = CreateContainer(podId, pod, "mounter", c =>
            {
                c.Linux.SecurityContext = new LinuxContainerSecurityContext { Privileged = true };
                c.Mounts.Add(new Mount { ContainerPath = "/mnt/shared", HostPath = shared, Propagation = MountPropagation.PropagationBidirectional });
            }, "sh", "-c", "mkdir -p /mnt/shared/sub && mount -t tmpfs -o size=1m ocirun-prop /mnt/shared/sub && echo in > /mnt/shared/sub/f && sleep 300");
            Rt.StartContainer(new StartContainerRequest { ContainerId = id });
            var file = Path.Combine(shared, "sub", "f");
            Poll.Until(() => File.Exists(file), "the container's tmpfs to appear on the host");
            Assert.Equal("in\n", File.ReadAllText(file));
            Assert.Contains(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == Path.Combine(shared, "sub") && l.Contains(" - tmpfs ocirun-prop "));
            Rt.StopContainer(new StopContainerRequest { ContainerId = id, Timeout = 1 });
            Rt.RemoveContainer(new RemoveContainerRequest { ContainerId = id });
        }
        finally
        {
            RemovePod(podId, pod);
            ContainerdFixture.UnmountUnder(shared);
            Directory.Delete(shared, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task ExecWithATerminalStreamsThroughContainerdsServer(string runtime)
    {
        // `kubectl exec -t`: Exec returns a URL of containerd's streaming server, which the
        // client opens as a WebSocket speaking Kubernetes' channel protocol.
        var (podId, pod) = RunPod(runtime, "tty-" + runtime);
        try
        {
            var id = CreateContainer(podId, pod, "sleeper", "sleep", "300");
            Rt.StartContainer(new StartContainerRequest { ContainerId = id });
            // `kubectl exec -it`: a terminal with input (containerd streams a terminal's output only then).
            var url = Rt.Exec(new ExecRequest
            {
                ContainerId = id, Cmd = { "sh", "-c", "tty; read line; echo got $line; sleep 0.2" }, Tty = true, Stdin = true, Stdout = true,
            }).Url;
            var (output, status) = await CriStream.Run(url, TimeSpan.FromSeconds(20), "hello\r");
            // The terminal echoes what was typed whenever it arrives, so only the lines the program wrote are in order.
            var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l != "hello").ToArray();
            Assert.True(lines is [var tty, "got hello", ""] && tty.StartsWith("/dev/pts/", StringComparison.Ordinal),
                $"{runtime}: output [{output}] status [{status}]");
            Assert.Contains("Success", status);
            Rt.StopContainer(new StopContainerRequest { ContainerId = id, Timeout = 1 });
            Rt.RemoveContainer(new RemoveContainerRequest { ContainerId = id });
        }
        finally
        {
            RemovePod(podId, pod);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public void APodOnTheBridgeHasItsOwnNetworkAndHostname(string runtime)
    {
        var (podId, pod) = RunPod(runtime, "net-" + runtime, hostNetwork: false);
        try
        {
            var ip = Rt.PodSandboxStatus(new PodSandboxStatusRequest { PodSandboxId = podId }).Status.Network.Ip;
            Assert.StartsWith("198.18.213.", ip);
            var id = CreateContainer(podId, pod, "netcheck", "sleep", "300");
            Rt.StartContainer(new StartContainerRequest { ContainerId = id });
            // Seen from inside only: the pod's address on its eth0, its own loopback (a listener
            // on 127.0.0.1 answers there), and the pod's hostname.
            var r = Rt.ExecSync(new ExecSyncRequest
            {
                ContainerId = id, Timeout = 20,
                // busybox nc ends with its stdin: each side's input lasts until the other has had
                // time to write, and the exec waits for the listener, whose output it is too.
                Cmd = { "sh", "-c", "ip -4 -o addr show eth0; hostname; (sleep 0.6; echo pong) | nc -l -p 7000 127.0.0.1 & sleep 0.3; (echo ping; sleep 0.6) | nc 127.0.0.1 7000; wait" },
            });
            Assert.True(r.ExitCode == 0, r.Stderr.ToStringUtf8());
            var lines = r.Stdout.ToStringUtf8().Split('\n');
            Assert.Contains($"inet {ip}/24", lines[0]);
            Assert.Equal("net-" + runtime, lines[1]);
            // The listener prints what it got, the client what came back: either may come first.
            Assert.Equal(["ping", "pong"], lines[2..].Where(l => l.Length > 0).Order());
            Rt.StopContainer(new StopContainerRequest { ContainerId = id, Timeout = 1 });
            Rt.RemoveContainer(new RemoveContainerRequest { ContainerId = id });
        }
        finally
        {
            RemovePod(podId, pod);
        }
    }
}
