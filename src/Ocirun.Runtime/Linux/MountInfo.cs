namespace Ocirun.Runtime.Linux;

/// <summary>One line of /proc/PID/mountinfo, with the octal escapes of paths undone.</summary>
public sealed record MountInfoEntry(string Root, string MountPoint, string FsType, string Source, string SuperOptions, string MountOptions = "")
{
    /// <summary>Read-only as this mount or as its filesystem.</summary>
    public bool ReadOnly => MountOptions.Split(',').Contains("ro") || SuperOptions.Split(',').Contains("ro");
}

/// <summary>Parses mountinfo text (pure, so layouts are testable without mounting them).</summary>
public static class MountInfo
{
    public static List<MountInfoEntry> Parse(string text)
    {
        var result = new List<MountInfoEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // Optional fields come between the mount options and " - "; the fixed ones after it.
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }
            var pre = line[..dash].Split(' ');
            var post = line[(dash + 3)..].Split(' ');
            if (pre.Length < 6 || post.Length < 3)
            {
                continue;
            }
            result.Add(new MountInfoEntry(Unescape(pre[3]), Unescape(pre[4]), post[0], Unescape(post[1]), post[2], pre[5]));
        }
        return result;
    }

    public static List<MountInfoEntry> OfSelf() => Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>The kernel writes space, tab, newline and backslash in paths as octal escapes.</summary>
    public static string Unescape(string s) =>
        s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
