namespace Ocirun.Runtime.Criu;

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
