using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Container;

/// <summary>
/// CRIU freezes the container's cgroup while it dumps and thaws it when done; a checkpoint
/// killed together with its CRIU would leave the container frozen for ever. A checkpoint
/// therefore leaves a marker (its pid, start time and whether the container was paused before)
/// for its duration, and the next command that looks at the container, finding the marker's
/// process gone, thaws what CRIU froze.
/// </summary>
internal static class InterruptedCheckpoint
{
    public const string MarkerFile = "checkpoint-in-progress";

    public static void Begin(string stateDir, bool wasPaused)
    {
        var self = Environment.ProcessId;
        File.WriteAllText(Path.Combine(stateDir, MarkerFile),
            $"{self} {ProcFs.ReadStat(self)?.StartTime ?? 0} {(wasPaused ? 1 : 0)}");
    }

    public static void End(string stateDir) => File.Delete(Path.Combine(stateDir, MarkerFile));

    /// <summary>Thaws a container whose checkpoint died mid-dump (unless it was paused before); no-op otherwise.</summary>
    public static void Recover(string stateDir, ICgroupDriver cgroups)
    {
        var marker = Path.Combine(stateDir, MarkerFile);
        // Asked by every command that reads a container's status: the usual answer, no marker,
        // costs a stat rather than a thrown exception (a first one is costly in NativeAOT).
        if (!File.Exists(marker))
        {
            return;
        }
        string[] fields;
        try
        {
            fields = File.ReadAllText(marker).Split(' ');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        if (fields.Length == 3 && int.TryParse(fields[0], out var pid) && ulong.TryParse(fields[1], out var start)
            && ProcFs.IsAlive(pid, start))
        {
            return; // still dumping
        }
        if (fields.Length != 3 || fields[2] != "1")
        {
            cgroups.Thaw();
        }
        File.Delete(marker);
    }
}
