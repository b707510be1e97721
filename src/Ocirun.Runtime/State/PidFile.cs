using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.State;

/// <summary>Writes a pid file as callers read it: digits only, no newline, replaced atomically.</summary>
public static class PidFile
{
    public static void Write(string path, int pid)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full));
        int fd = Libc.open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0x1a4 /* 0644 */);
        if (fd < 0)
        {
            throw LinuxException.Last("create pid file " + tmp);
        }
        using (var file = new Fd(fd))
        {
            Sys.WriteAll(file.Value, System.Text.Encoding.ASCII.GetBytes(pid.ToString()), tmp);
        }
        File.Move(tmp, full, overwrite: true);
    }
}
