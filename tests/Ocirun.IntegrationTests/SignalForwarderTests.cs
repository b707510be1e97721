using System.Diagnostics;
using System.Runtime.InteropServices;
using Ocirun.Runtime.Container;

namespace Ocirun.IntegrationTests;

/// <summary>
/// A foreground run sets up forwarding before its container exists: a signal that comes in
/// between must reach the container once it does, not be lost or kill the runtime.
/// </summary>
public sealed class SignalForwarderTests
{
    private const int SIGUSR2 = 12;

    [Fact]
    public void ASignalFromBeforeTheTargetIsKnownReachesIt()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "100"))!;
        using (var forwarder = new SignalForwarder([SIGUSR2]))
        {
            Assert.Equal(0, kill(Environment.ProcessId, SIGUSR2));
            // Let the runtime's signal thread take it: it is then held for the target.
            Thread.Sleep(200);
            Assert.False(child.HasExited);
            forwarder.Target(child.Id);
            Assert.True(child.WaitForExit(10_000), "the held signal did not reach the target");
        }
        Assert.Equal(128 + SIGUSR2, child.ExitCode);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
