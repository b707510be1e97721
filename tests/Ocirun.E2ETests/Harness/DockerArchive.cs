using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// Writes a docker-archive (what `docker save` makes) with a root filesystem as its one layer,
/// which `ctr images import` unpacks: images without a registry.
/// </summary>
public static class DockerArchive
{
    /// <summary>Builds the archive in workDir (removed afterwards) and returns its path, workDir + ".tar".</summary>
    public static string Write(string workDir, string rootfs, string tag, string[]? cmd = null, string[]? entrypoint = null)
    {
        Directory.CreateDirectory(workDir);
        var layer = Path.Combine(workDir, "layer.tar");
        ContainerdRun.Program("tar", ["-C", rootfs, "-cf", layer, "."]).EnsureSuccess();
        string diffId;
        using (var stream = File.OpenRead(layer))
        {
            diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            var a => a.ToString().ToLowerInvariant(),
        };
        var imageConfig = new Dictionary<string, object>
        {
            ["Env"] = new[] { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
        };
        if (cmd != null)
        {
            imageConfig["Cmd"] = cmd;
        }
        if (entrypoint != null)
        {
            imageConfig["Entrypoint"] = entrypoint;
        }
        var config = new Dictionary<string, object>
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["config"] = imageConfig,
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = new[] { diffId } },
        };
        File.WriteAllText(Path.Combine(workDir, "config.json"), JsonSerializer.Serialize(config));
        var manifest = new[]
        {
            new Dictionary<string, object>
            {
                ["Config"] = "config.json",
                ["RepoTags"] = new[] { tag },
                ["Layers"] = new[] { "layer.tar" },
            },
        };
        File.WriteAllText(Path.Combine(workDir, "manifest.json"), JsonSerializer.Serialize(manifest));
        var archive = workDir.TrimEnd('/') + ".tar";
        ContainerdRun.Program("tar", ["-C", workDir, "-cf", archive, "config.json", "manifest.json", "layer.tar"])
            .EnsureSuccess();
        Directory.Delete(workDir, recursive: true);
        return archive;
    }
}
