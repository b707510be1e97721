using Ocirun.Spec;
using Ocirun.Spec.Model;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.UnitTests;

/// <summary>Shared helpers: repository paths, fixtures, temp directories, spec builders and flag names.</summary>
internal static class TestHelpers
{
    /// <summary>The repository root: the first directory above the test assembly that holds Runtime.sln.</summary>
    public static string RepoRoot => Ocirun.Tests.Shared.RepoPaths.Root;

    /// <summary>oci-specs/fixtures as copied next to the test assembly by the csproj.</summary>
    public static string FixturesDir => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string Fixture(string relative) => File.ReadAllText(Path.Combine(FixturesDir, relative));

    /// <summary>The smallest spec that passes validation; tests change one thing at a time.</summary>
    public static Spec.Model.Spec MinimalSpec() => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Spec.Model.Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin"] },
        Linux = new Spec.Model.Linux
        {
            Namespaces = new[] { "pid", "ipc", "uts", "mount", "network" }.Select(t => new Namespace { Type = t }).ToList(),
        },
    };

    public static Mount Mount(string dest, string? type, string? source, params string[] options) =>
        new() { Destination = dest, Type = type, Source = source, Options = options.Length > 0 ? options.ToList() : null };

    public static Spec.Model.Spec RoundTrip(Spec.Model.Spec spec) =>
        SpecJson.ParseSpec(System.Text.Json.JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec));

    /// <summary>The effective user id of this process (unit tests must not need it to be 0).</summary>
    public static uint Euid()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
    }

    private static readonly (ulong Bit, string Name)[] MountFlagNames =
    {
        (MS_RDONLY, "ro"), (MS_NOSUID, "nosuid"), (MS_NODEV, "nodev"), (MS_NOEXEC, "noexec"),
        (MS_SYNCHRONOUS, "sync"), (MS_REMOUNT, "remount"), (MS_MANDLOCK, "mand"), (MS_DIRSYNC, "dirsync"),
        (MS_NOSYMFOLLOW, "nosymfollow"), (MS_NOATIME, "noatime"), (MS_NODIRATIME, "nodiratime"), (MS_BIND, "bind"),
        (MS_MOVE, "move"), (MS_REC, "rec"), (MS_SILENT, "silent"), (MS_UNBINDABLE, "unbindable"),
        (MS_PRIVATE, "private"), (MS_SLAVE, "slave"), (MS_SHARED, "shared"), (MS_RELATIME, "relatime"),
        (MS_I_VERSION, "iversion"), (MS_STRICTATIME, "strictatime"), (MS_LAZYTIME, "lazytime"),
    };

    /// <summary>mount(2) flags as names in bit order, e.g. "ro,nosuid"; unknown bits as hex; "-" for none.</summary>
    public static string MountFlags(ulong flags)
    {
        var names = new List<string>();
        foreach (var (bit, name) in MountFlagNames)
        {
            if ((flags & bit) != 0)
            {
                names.Add(name);
                flags &= ~bit;
            }
        }
        if (flags != 0)
        {
            names.Add($"0x{flags:x}");
        }
        return names.Count == 0 ? "-" : string.Join(",", names);
    }
}

/// <summary>A fresh directory under the system temp dir, removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ocirun-unit-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string Write(string name, string content)
    {
        var p = Combine(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
