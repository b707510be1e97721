using static Ocirun.Runtime.Interop.Consts;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Seccomp;

/// <summary>What a seccomp agent receives on listenerPath, with the notification fd (runc's format).</summary>
public sealed class ContainerProcessState
{
    public string OciVersion { get; set; } = "";
    public List<string> Fds { get; set; } = ["seccompFd"];
    public int Pid { get; set; }
    public string? Metadata { get; set; }
    public Spec.Model.ContainerStateDocument State { get; set; } = new();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerProcessState))]
internal sealed partial class ListenerJsonContext : JsonSerializerContext
{
}

internal static class SeccompListener
{

    /// <summary>Copies fd out of the init and sends it, with the container's state, to the listener.</summary>
    public static void Send(Spec.Model.Spec spec, string id, string bundle, string rootfs, int pid, int fd)
    {
        var profile = spec.Linux!.Seccomp!;
        int ours;
        using (var pidfd = new Fd(LinuxException.Check(Sys.PidfdOpen(pid), "pidfd_open")))
        {
            ours = (int)LinuxException.Check(Libc.syscall(SYS_pidfd_getfd, pidfd.Value, fd, 0, 0, 0), "pidfd_getfd");
        }
        try
        {
            var state = new ContainerProcessState
            {
                OciVersion = spec.OciVersion, Pid = pid, Metadata = profile.ListenerMetadata,
                State = Spec.Model.ContainerStateDocument.ForHook(spec, id, pid, "creating", bundle, rootfs),
            };
            int sock;
            try
            {
                sock = FdPassing.Connect(profile.ListenerPath!);
            }
            catch (LinuxException e)
            {
                throw new ContainerException($"failed to connect with seccomp agent specified in the seccomp profile: {e.Message}");
            }
            try
            {
                FdPassing.Send(sock, ours, JsonSerializer.Serialize(state, ListenerJsonContext.Default.ContainerProcessState));
            }
            finally
            {
                Libc.close(sock);
            }
        }
        finally
        {
            Libc.close(ours);
        }
    }
}
