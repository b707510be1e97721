namespace Ocirun.Runtime.State;

/// <summary>The four statuses runc prints; callers reject anything else.</summary>
public enum ContainerStatus
{
    Created,
    Running,
    Paused,
    Stopped,
}

public static class ContainerStatusText
{
    public static string ToText(this ContainerStatus s) => s switch
    {
        ContainerStatus.Created => "created",
        ContainerStatus.Running => "running",
        ContainerStatus.Paused => "paused",
        _ => "stopped",
    };
}
