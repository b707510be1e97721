namespace Ocirun.Runtime;

/// <summary>A failure reported to the user as one line (runc's wording where callers match on it).</summary>
/// <param name="inner">The cause, where the CLI words part of the message itself (a JSON error's .NET resource key).</param>
public class ContainerException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
