namespace Ocirun.Runtime.Container;

public sealed record CreateOptions
{
    public required string Id { get; init; }
    public string Bundle { get; init; } = ".";
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public string? PidfdSocket { get; init; }
    /// <summary>A connected socket to send the pty master on, instead of --console-socket (foreground relay).</summary>
    public int ConsoleFd { get; init; } = -1;
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>False for a foreground `run`, which may keep a terminal on its own stdio.</summary>
    public bool Detach { get; init; } = true;

    /// <summary>The bundle's config.json when the caller has read it already (a foreground `run`).</summary>
    public Spec.Model.Spec? Spec { get; init; }
}
