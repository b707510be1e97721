namespace Ocirun.Runtime;

/// <summary>
/// What runc logs at level warning and goes on with (an unknown capability, say): the CLI
/// points Sink at its log; without it the lines are dropped.
/// </summary>
public static class Warnings
{
    public static Action<string>? Sink { get; set; }

    public static void Write(string message) => Sink?.Invoke(message);
}
