namespace Ocirun.Runtime.Container;

/// <summary>Work a command does on a thread beside its main line (making or removing mounts, moving into cgroups).</summary>
internal static class SideTasks
{
    /// <summary>
    /// Waits until the task has ended, whatever its outcome: before the cleanup that undoes what
    /// it did, which handles work done in part, while the caller reports a failure of its own.
    /// </summary>
    public static void Settle(this Task? task)
    {
        try
        {
            task?.Wait();
        }
        catch (AggregateException)
        {
            // the caller's cleanup undoes whatever part was done
        }
    }
}
