namespace Ocirun.Runtime.Linux;

/// <summary>Finds a program in a PATH value, as execvp does: the first executable file of that name.</summary>
public static class PathSearch
{
    /// <summary>The program's path, or null when no directory of path has it (an empty entry is ".").</summary>
    public static string? Find(string name, string path)
    {
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return null;
    }
}
