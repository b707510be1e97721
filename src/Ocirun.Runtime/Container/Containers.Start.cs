using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.State;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Container;

public sealed partial class Containers
{
    /// <summary>Releases a created container's init through exec.fifo and runs poststart hooks.</summary>
    public unsafe void Start(string id)
    {
        using var l = Store.Lock(id) ?? throw new ContainerException("container does not exist");
        var r = Load(id);
        switch (StatusOf(r))
        {
            case ContainerStatus.Running:
                throw new ContainerException("cannot start an already running container");
            case ContainerStatus.Stopped:
                throw new ContainerException("cannot start a container that has stopped");
            case ContainerStatus.Paused:
                throw new ContainerException("cannot start a container in the paused state");
        }
        var fifo = Store.FifoPath(id);
        using var fifoFd = new Fd(Sys.Open(fifo, O_RDONLY | O_NONBLOCK));
        // The init opens the fifo for writing once we hold the read end; poll so that an init
        // that died in between makes us fail instead of hang.
        var pfd = new PollFd { Fd = fifoFd.Value, Events = POLLIN };
        while (true)
        {
            int n = Libc.poll(&pfd, 1, 100);
            if (n > 0 && (pfd.Revents & POLLIN) != 0)
            {
                break;
            }
            if (!ProcFs.IsAlive(r.InitPid, r.InitStartTime))
            {
                throw new ContainerException("cannot start a container that has stopped");
            }
        }
        byte b;
        if (Libc.read(fifoFd.Value, &b, 1) != 1)
        {
            throw new ContainerException("cannot start a container that has stopped");
        }
        File.Delete(fifo);
        OciHooks.HookRunner.RunAll("poststart", r.Hooks?.Poststart, StateJson(r, ContainerStatus.Running));
    }

    public ContainerStateDocumentView State(string id)
    {
        var r = Load(id);
        var status = StatusOf(r);
        return new ContainerStateDocumentView(r, status);
    }

    /// <summary>The state poststart and poststop hooks read.</summary>
    internal static string StateJson(ContainerRecord r, ContainerStatus status) =>
        new ContainerStateDocumentView(r, status).Document.ToJson(indented: false);
}

/// <summary>A container's OCI state as `state` prints it.</summary>
public sealed class ContainerStateDocumentView(ContainerRecord r, ContainerStatus status)
{
    public ContainerStatus Status { get; } = status;

    public Spec.Model.ContainerStateDocument Document { get; } = new()
    {
        OciVersion = r.OciVersion,
        Id = r.Id,
        Pid = status == ContainerStatus.Stopped ? 0 : r.InitPid,
        Status = status.ToText(),
        Bundle = r.Bundle,
        Rootfs = r.Rootfs,
        Created = r.Created,
        Annotations = r.Annotations is { Count: > 0 } a ? a : null,
        Owner = "",
    };
}
