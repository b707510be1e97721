namespace Ocirun.Runtime.Container;

/// <summary>What checkpoint and restore share: runc's flags of the same names.</summary>
public class CriuCommonOptions
{
    public string ImagePath { get; init; } = "checkpoint";
    public string? WorkPath { get; init; }
    public bool TcpEstablished { get; init; }
    public bool ExtUnixSk { get; init; }
    public bool ShellJob { get; init; }
    public bool FileLocks { get; init; }
    public string? ManageCgroupsMode { get; init; }
    public List<string> EmptyNs { get; init; } = new();
    public bool AutoDedup { get; init; }
    public bool LazyPages { get; init; }
    /// <summary>--criu, when given; otherwise CriuLocator's search.</summary>
    public string? CriuPath { get; init; }
}

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
