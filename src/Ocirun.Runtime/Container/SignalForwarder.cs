using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Container;

/// <summary>
/// Passes signals sent to a foreground `run`, `exec` or `restore` on to the container process.
/// It is set up before that process exists: a signal that arrives while the process is being
/// created would otherwise hit the runtime with its default action, and be lost to the
/// container. Such signals are held and delivered once the target is set, which callers do
/// when the container's own program runs (after start, after the exec'd process's execve):
/// before that the process is the runtime's init, which must not get them.
/// </summary>
public sealed class SignalForwarder : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly List<int> _held = [];
    private readonly Lock _gate = new();
    private int _target;

    public SignalForwarder(IEnumerable<int> signals)
    {
        foreach (var sig in signals)
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)sig, ctx =>
            {
                ctx.Cancel = true;
                Forward(sig);
            }));
        }
    }

    /// <summary>From now on signals go to pid, starting with those that came before.</summary>
    public void Target(int pid)
    {
        lock (_gate)
        {
            _target = pid;
            foreach (var sig in _held)
            {
                Libc.kill(pid, sig);
            }
            _held.Clear();
        }
    }

    private void Forward(int sig)
    {
        lock (_gate)
        {
            if (_target > 0)
            {
                Libc.kill(_target, sig);
            }
            else
            {
                _held.Add(sig);
            }
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
    }
}
