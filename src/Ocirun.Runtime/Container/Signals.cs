namespace Ocirun.Runtime.Container;

/// <summary>Signal names and numbers as `kill` accepts them: 15, TERM, SIGTERM, term.</summary>
public static class Signals
{
    /// <summary>What a foreground run or exec passes on: all a terminal or supervisor may send, but SIGCHLD.</summary>
    public static readonly int[] Forwarded = [1, 2, 3, 10, 12, 14, 15, 18, 20, 21, 22, 23, 28];

    private static readonly string[] Names =
    {
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    };

    public static int Parse(string text)
    {
        if (int.TryParse(text, out var n))
        {
            if (n < 0 || n > 64)
            {
                throw new ContainerException($"unknown signal \"{text}\"");
            }
            return n;
        }
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name[3..];
        }
        int i = Array.IndexOf(Names, name);
        if (i > 0)
        {
            return i;
        }
        if (name == "IOT")
        {
            return 6;
        }
        if (name.StartsWith("RTMIN", StringComparison.Ordinal) || name.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            var rest = name[5..];
            int off = rest.Length == 0 ? 0 : int.TryParse(rest, out var o) ? o : 99;
            int sig = name.StartsWith("RTMIN", StringComparison.Ordinal) ? 34 + off : 64 + off;
            if (sig >= 34 && sig <= 64)
            {
                return sig;
            }
        }
        throw new ContainerException($"unknown signal \"{text}\"");
    }
}
