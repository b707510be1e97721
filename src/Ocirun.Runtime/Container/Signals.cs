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

    /// <summary>
    /// As runc reads it: any number (kill(2) judges it: 0 checks, 99 is EINVAL), or a name of
    /// Go's signal table, with or without SIG, any case. Go's table has no IOT and no
    /// real-time names; engines pass numbers.
    /// </summary>
    public static int Parse(string text)
    {
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return n is >= int.MinValue and <= int.MaxValue ? (int)n : -1;
        }
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name[3..];
        }
        int i = Array.IndexOf(Names, name);
        return i > 0 ? i : throw new ContainerException($"unknown signal \"{text}\"");
    }
}
