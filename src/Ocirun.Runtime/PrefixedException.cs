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

    public int ExitCode => exitCode ?? InnerException switch
    {
        ContainerException c => c.ExitCode,
        PrefixedException p => p.ExitCode,
        _ => 1,
    };

    /// <summary>
    /// Whether e is reported to the user as one line (bad input, a refusal, an errno), which a
    /// prefix may go before; anything else is a bug and stays one.
    /// </summary>
    public static bool IsUserFacing(Exception e) =>
        e is ContainerException or LinuxException or SpecValidationException or IOException or UnauthorizedAccessException or PrefixedException;
}
