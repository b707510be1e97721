using Ocirun.Runtime.Linux;
using Ocirun.Spec;

namespace Ocirun.Runtime;

/// <summary>
/// A failure with the words runc puts before it ("runc create failed: ", "unable to start
/// container process: ", "error during container init: "). The CLI words the cause as ever and
/// puts the prefix before it; the exit code is the one given, or the cause's.
/// </summary>
public sealed class PrefixedException(string prefix, Exception cause, int? exitCode = null) : Exception(prefix + cause.Message, cause)
{
    public string Prefix { get; } = prefix;

    public int ExitCode => exitCode ?? ExitCodeOf(InnerException!);

    /// <summary>The exit code a failure ends the command with: its own where it carries one, else 1.</summary>
    public static int ExitCodeOf(Exception e) => e switch
    {
        ContainerException c => c.ExitCode,
        PrefixedException p => p.ExitCode,
        _ => 1,
    };

    /// <summary>Runs body; a failure the user is told of gets prefix before it (and exitCode, if given).</summary>
    public static T Around<T>(string prefix, Func<T> body, int? exitCode = null)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            throw new PrefixedException(prefix, e, exitCode);
        }
    }

    /// <summary>
    /// Whether e is reported to the user as one line (bad input, a refusal, an errno), which a
    /// prefix may go before; anything else is a bug and stays one.
    /// </summary>
    public static bool IsUserFacing(Exception e) =>
        e is ContainerException or LinuxException or SpecValidationException or IOException or UnauthorizedAccessException or PrefixedException;
}
