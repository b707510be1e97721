using System.Text;
using System.Text.Json;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli;

/// <summary>
/// runc-style logging: errors go to stderr as plain text and, with --log, also to the log file
/// (JSON lines with level/msg/time for --log-format json, logfmt otherwise).
/// </summary>
public sealed class Log(string? path, bool json, bool debug)
{
    public bool DebugEnabled { get; } = debug;

    /// <summary>
    /// The log first: containerd's shim gives the runtime read-only /dev/null as stdio, where
    /// writing to stderr fails (EBADF), and the shim reads the reason from --log alone.
    /// </summary>
    public void Error(string message)
    {
        Write("error", message);
        ToStderr(message);
    }

    private static void ToStderr(string line) => StdStreams.Error(line + "\n");

    /// <summary>A warning goes where runc's logrus puts it: the log with --log, else stderr.</summary>
    public void Warning(string message) => Write("warning", message);

    public void Debug(string message)
    {
        if (DebugEnabled)
        {
            Write("debug", message);
        }
    }

    private void Write(string level, string message)
    {
        if (path == null)
        {
            // Without --log, debug lines and warnings go to stderr (errors are already there).
            if (level is "debug" or "warning")
            {
                ToStderr(level == "debug" ? $"debug: {message}" : message);
            }
            return;
        }
        var time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string line = json ? JsonLine(level, message, time) : $"time=\"{time}\" level={level} msg={Runtime.Quoting.Go(message)}\n";
        try
        {
            using var f = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            f.Write(Encoding.UTF8.GetBytes(line));
        }
        catch (IOException)
        {
            // The log is best effort: stderr already has the message.
        }
    }

    public static string JsonLine(string level, string message, string time)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("level", level);
            w.WriteString("msg", message);
            w.WriteString("time", time);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

}
