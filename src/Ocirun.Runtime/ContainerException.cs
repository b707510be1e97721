namespace Ocirun.Runtime;

/// <summary>A failure reported to the user as one line (runc's wording where callers match on it).</summary>
public class ContainerException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
