namespace Ocirun.Spec.Known;

/// <summary>RLIMIT_* names and their resource numbers on Linux.</summary>
public static class RlimitNames
{
    public static readonly IReadOnlyList<string> All = new[]
    {
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    };

    public static int Number(string name)
    {
        for (int i = 0; i < All.Count; i++)
        {
            if (All[i] == name)
            {
                return i;
            }
        }
        return -1;
    }
}
