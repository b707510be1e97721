namespace Ocirun.Spec.Validation;

/// <summary>
/// The kernel's CPU list format ("0-3,5,7-9", as in cpuset.cpus) as a sched_setaffinity(2)
/// mask. Spaces around elements and empty elements are allowed, as runc allows them.
/// </summary>
public static class CpuList
{
    /// <summary>The highest CPU number accepted: a sanity bound on the mask's size (runc's).</summary>
    public const int MaxCpu = 64 * 1024;

    /// <summary>The mask (bit n of byte n/8 for CPU n), sized to whole 64-bit words; null for "".</summary>
    public static byte[]? Parse(string list)
    {
        if (list == "")
        {
            return null;
        }
        var ranges = new List<(int Start, int End)>();
        foreach (var raw in list.Split(','))
        {
            var element = raw.Trim();
            if (element == "")
            {
                continue;
            }
            int dash = element.IndexOf('-');
            int start = Number(dash < 0 ? element : element[..dash]);
            int end = dash < 0 ? start : Number(element[(dash + 1)..]);
            if (start > end)
            {
                throw new FormatException("invalid range: " + element);
            }
            ranges.Add((start, end));
        }
        if (ranges.Count == 0)
        {
            throw new FormatException($"no members found in set \"{list}\"");
        }
        var mask = new byte[(ranges.Max(r => r.End) / 64 + 1) * 8];
        foreach (var (start, end) in ranges)
        {
            for (int cpu = start; cpu <= end; cpu++)
            {
                mask[cpu / 8] |= (byte)(1 << (cpu % 8));
            }
        }
        return mask;
    }

    private static int Number(string text)
    {
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) || !uint.TryParse(text, out var n))
        {
            throw new FormatException($"invalid CPU number \"{text}\"");
        }
        return n <= MaxCpu ? (int)n : throw new FormatException($"values larger than {MaxCpu} are not supported");
    }
}
