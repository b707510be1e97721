using Ocirun.Runtime.Criu;

namespace Ocirun.Runtime.Container;

public sealed class CheckpointOptions : CriuCommonOptions
{
    public bool LeaveRunning { get; init; }
    public bool PreDump { get; init; }
    public string? ParentPath { get; init; }
    public string? PageServer { get; init; }
    public int StatusFd { get; init; } = -1;
}

public sealed class RestoreOptions : CriuCommonOptions
{
    public required string Id { get; init; }
    public string Bundle { get; init; } = ".";
    public bool Detach { get; init; }
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public bool NoSubreaper { get; init; }
    public bool NoPivot { get; init; }
    public string? LsmProfile { get; init; }
    public string? LsmMountContext { get; init; }
}
