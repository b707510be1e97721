using System.Text;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// What a command prints, written to fd 1 or 2 with write(2). System.Console's first use sets
/// up terminal and signal handling (handlers for SIGCHLD, SIGCONT and SIGWINCH, and a thread to
/// serve them) that a command printing one document never needs; it cost every `state`,
/// `list` and `--version` about 20 page faults.
/// </summary>
public static class StdStreams
{
    public static void Out(string text) => Write(1, text, "stdout");

    /// <summary>Best effort: containerd's shim gives the runtime a read-only /dev/null as stderr.</summary>
    public static void Error(string text)
    {
        try
        {
            Write(2, text, "stderr");
        }
        catch (LinuxException)
        {
            // Nowhere else to say it.
        }
    }

    private static void Write(int fd, string text, string what)
    {
        try
        {
            Sys.WriteAll(fd, Encoding.UTF8.GetBytes(text), what);
        }
        catch (LinuxException e) when (e.Errno == EPIPE)
        {
            // A reader that went away (`ocirun list | head -1`) is not the command's failure,
            // as System.Console has it too.
        }
    }
}
