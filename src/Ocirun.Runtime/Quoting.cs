namespace Ocirun.Runtime;

/// <summary>A string in double quotes, its backslashes and quotes escaped, as runc's messages and log lines quote one.</summary>
public static class Quoting
{
    public static string Go(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
