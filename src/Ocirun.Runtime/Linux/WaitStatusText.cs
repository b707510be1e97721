namespace Ocirun.Runtime.Linux;

/// <summary>
/// A child's wait status in Go's words (os.ProcessState.String), which runc puts in its errors:
/// "exit status 3", "signal: killed", "signal: segmentation fault (core dumped)".
/// </summary>
public static class WaitStatusText
{
    // Go's descriptions of signals 1 to 31 (syscall's signal table on linux/amd64).
    private static readonly string[] Signals =
    [
        "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap", "aborted", "bus error",
        "floating point exception", "killed", "user defined signal 1", "segmentation fault", "user defined signal 2",
        "broken pipe", "alarm clock", "terminated", "stack fault", "child exited", "continued", "stopped (signal)",
        "stopped", "stopped (tty input)", "stopped (tty output)", "urgent I/O condition", "CPU time limit exceeded",
        "file size limit exceeded", "virtual timer expired", "profiling timer expired", "window changed",
        "I/O possible", "power failure", "bad system call",
    ];

    public static string Of(int status)
    {
        int signal = status & 0x7f;
        if (signal == 0)
        {
            return $"exit status {(status >> 8) & 0xff}";
        }
        var name = signal <= Signals.Length ? Signals[signal - 1] : $"signal {signal}";
        return $"signal: {name}" + ((status & 0x80) != 0 ? " (core dumped)" : "");
    }
}
