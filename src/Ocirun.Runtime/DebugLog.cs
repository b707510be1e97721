namespace Ocirun.Runtime;

/// <summary>Debug lines for --debug: the CLI points Sink at its log; nothing is formatted otherwise.</summary>
public static class DebugLog
{
    public static Action<string>? Sink { get; set; }

    public static void Write(string message) => Sink?.Invoke(message);
}
