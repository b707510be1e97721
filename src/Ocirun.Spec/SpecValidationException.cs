namespace Ocirun.Spec;

/// <summary>A config.json that cannot run; <see cref="Rule"/> names the check that failed.</summary>
public sealed class SpecValidationException(string rule, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Rule { get; } = rule;
}
