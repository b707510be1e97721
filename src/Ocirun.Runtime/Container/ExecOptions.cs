namespace Ocirun.Runtime.Container;

public sealed class ExecOptions
{
    public required string Id { get; init; }
    /// <summary>The process to run: from --process, or the container's own with the CLI's changes.</summary>
    public required Spec.Model.Process Process { get; init; }
    public bool Detach { get; init; }
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public string? PidfdSocket { get; init; }
    public int ConsoleFd { get; init; } = -1;
    public int PreserveFds { get; init; }
    public bool IgnorePaused { get; init; }
    /// <summary>--cgroup: a sub-cgroup (per controller key, "" for all) to put the process in.</summary>
    public Dictionary<string, string> SubCgroups { get; init; } = new();
}
