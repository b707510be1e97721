using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// A restored container's terminal: CRIU hands over the pty master it made (orphan-pts-master),
/// which goes to the caller's --console-socket as create sends a new one.
/// </summary>
public static class ConsoleHandoff
{
    public static void Send(string? consoleSocket, int master)
    {
        if (consoleSocket == null)
        {
            throw new ContainerException("the checkpoint has a terminal: restore needs --console-socket");
        }
        using var sock = new Fd(FdPassing.Connect(consoleSocket));
        FdPassing.Send(sock.Value, master, "/dev/ptmx");
    }
}
