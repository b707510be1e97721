namespace Ocirun.Runtime.Linux;

/// <summary>What the runtime reads from /proc about a process.</summary>
public static class ProcFs
{
    /// <summary>
    /// Field 22 of /proc/PID/stat (start time in clock ticks) and the state letter, or null if
    /// the process is gone. The start time tells a live init from a reused pid.
    /// </summary>
    public static (ulong StartTime, char State)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        return ParseStat(text);
    }

    public static (ulong StartTime, char State)? ParseStat(string text)
    {
        // comm may contain spaces and parentheses: the fields start after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0 || close + 2 > text.Length)
        {
            return null;
        }
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || !ulong.TryParse(fields[19], out var start))
        {
            return null;
        }
        return (start, fields[0][0]);
    }

    /// <summary>True when pid runs (not a zombie) and started at startTime.</summary>
    public static bool IsAlive(int pid, ulong startTime)
    {
        if (pid <= 0)
        {
            return false;
        }
        var stat = ReadStat(pid);
        return stat is { } s && s.StartTime == startTime && s.State != 'Z' && s.State != 'X';
    }
}
