namespace Ocirun.Runtime.Criu;

/// <summary>
/// CRIU builds a restored container's mounts in a directory of its own, /tmp/.criu.mntns.XXXXXX,
/// and removes it when it is done; killed mid-restore, it leaves the (empty) directory behind.
/// Its restore.log names it, so the next restore with the same work directory removes what the
/// killed one left, before CRIU starts afresh (as <see cref="CgroupYard.RemoveLeftInWorkDir"/>
/// does for the cgroup yard).
/// </summary>
public static class MountNamespaceYard
{
    public static void RemoveLeftInWorkDir(string workDir, string logFile)
    {
        string log;
        var path = Path.Combine(workDir, logFile);
        if (!File.Exists(path))
        {
            return; // the usual case: thrown and caught, the exception below costs a NativeAOT process 10 ms
        }
        try
        {
            log = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        foreach (var dir in Named(log))
        {
            try
            {
                Directory.Delete(dir); // rmdir: only an empty directory no longer mounted on
            }
            catch (IOException)
            {
                // Gone already, not empty or still in use: not a leftover to remove.
            }
        }
    }

    private const string Prefix = "/tmp/.criu.mntns.";
    private const int Suffix = 6; // mkdtemp's XXXXXX

    /// <summary>The yard directories a CRIU log names (no regular expressions: they would add to every start of the binary).</summary>
    public static IEnumerable<string> Named(string log)
    {
        var found = new List<string>();
        for (int i = log.IndexOf(Prefix, StringComparison.Ordinal); i >= 0; i = log.IndexOf(Prefix, i + 1, StringComparison.Ordinal))
        {
            int end = i + Prefix.Length + Suffix;
            if (end <= log.Length && log.AsSpan(i + Prefix.Length, Suffix).ToArray().All(char.IsAsciiLetterOrDigit)
                && (end == log.Length || log[end] is '/' || char.IsWhiteSpace(log[end])) && !found.Contains(log[i..end]))
            {
                found.Add(log[i..end]);
            }
        }
        return found;
    }
}
