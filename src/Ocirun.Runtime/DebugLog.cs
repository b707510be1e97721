namespace Ocirun.Runtime;

/// <summary>Debug lines for --debug: the CLI points Sink at its log; without it the lines are dropped.</summary>
public static class DebugLog
{
    public static Action<string>? Sink { get; set; }

    public static void Write(string message) => Sink?.Invoke(message);
}
