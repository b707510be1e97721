using System.Text.Json;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The init's stdio at checkpoint, kept with the images (descriptors.json, as runc names it),
/// so that a restore can wire the caller's new pipes in place of the old ones.
/// </summary>
public static class InitDescriptors
{
    public const string File = "descriptors.json";

    /// <summary>What the init's fds 0-2 are ("pipe:[123]", a path, or "" for none).</summary>
    public static void Write(string imageDir, int initPid) =>
        System.IO.File.WriteAllText(Path.Combine(imageDir, File), JsonSerializer.Serialize(
            Enumerable.Range(0, 3).Select(fd => LinkOrEmpty($"/proc/{initPid}/fd/{fd}")).ToList(),
            Spec.SpecJsonContext.Default.ListString));

    /// <summary>Pipes named in descriptors.json become the caller's fds 0-2 of the same index.</summary>
    public static void AddInheritance(string imageDir, CriuOpts opts)
    {
        var file = Path.Combine(imageDir, File);
        if (!System.IO.File.Exists(file))
        {
            return;
        }
        var fds = JsonSerializer.Deserialize(System.IO.File.ReadAllText(file), Spec.SpecJsonContext.Default.ListString) ?? [];
        for (int i = 0; i < fds.Count && i < 3; i++)
        {
            if (fds[i].Contains("pipe:", StringComparison.Ordinal))
            {
                opts.InheritFd.Add(new InheritFd { Key = fds[i], Fd = i });
            }
        }
    }

    private static string LinkOrEmpty(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
