using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// What a checkpoint wrote, written last into its image directory: every file with its size
/// and SHA-256, and what made it (ocirun, CRIU, kernel, the container's config). A restore
/// checks it before CRIU reads anything, so a truncated, partial or changed image set is
/// refused with the name of the file; a set without a manifest (runc's) restores as before.
/// </summary>
public sealed class ImageManifest
{
    public const string FileName = "ocirun-manifest.json";

    public int Version { get; set; } = 1;
    public string Ocirun { get; set; } = "";
    public string? Criu { get; set; }
    public string Kernel { get; set; } = "";
    /// <summary>SHA-256 of the bundle's config.json the container ran with.</summary>
    public string ConfigSha256 { get; set; } = "";
    public List<ImageFile> Files { get; set; } = [];

    /// <summary>
    /// Describes every regular file directly in dir (CRIU's image sets are flat): not logs,
    /// which CRIU appends to on restore, nor the "parent" link to a pre-dump.
    /// </summary>
    public static ImageManifest Describe(string dir, string? criuVersion, string configPath) => new()
    {
        Ocirun = BuildInfo.Version,
        Criu = criuVersion,
        Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        ConfigSha256 = Sha256(configPath),
        Files = Directory.GetFiles(dir)
            .Where(f => Path.GetFileName(f) != FileName && !f.EndsWith(".log", StringComparison.Ordinal)
                && !File.GetAttributes(f).HasFlag(FileAttributes.ReparsePoint))
            .Order(StringComparer.Ordinal)
            .Select(f => new ImageFile(Path.GetFileName(f), new FileInfo(f).Length, Sha256(f))).ToList(),
    };

    public void WriteTo(string dir)
    {
        var path = Path.Combine(dir, FileName);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        JsonSerializer.Serialize(stream, this, ImageManifestJsonContext.Default.ImageManifest);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Throws naming the first file that is missing, of another size or content, or an image
    /// (*.img) the manifest does not list. Logs CRIU writes there later are not images.
    /// </summary>
    public static void Verify(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path))
        {
            return;
        }
        ImageManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllText(path), ImageManifestJsonContext.Default.ImageManifest)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new ContainerException($"checkpoint manifest {path} is unreadable: {e.Message}");
        }
        foreach (var f in manifest.Files)
        {
            var file = Path.Combine(dir, f.Name);
            if (Path.GetFileName(f.Name) != f.Name)
            {
                throw new ContainerException($"checkpoint manifest {path} names a file outside the image directory: {f.Name}");
            }
            if (!File.Exists(file))
            {
                throw new ContainerException($"checkpoint image {file} is missing (the manifest lists it)");
            }
            var size = new FileInfo(file).Length;
            if (size != f.Size)
            {
                throw new ContainerException($"checkpoint image {file} has {size} bytes, the manifest says {f.Size}: truncated or changed");
            }
            if (Sha256(file) != f.Sha256)
            {
                throw new ContainerException($"checkpoint image {file} does not match its SHA-256 in the manifest: changed since the checkpoint");
            }
        }
        var listed = manifest.Files.Select(f => f.Name).ToHashSet();
        if (Directory.GetFiles(dir, "*.img").Select(Path.GetFileName).FirstOrDefault(n => !listed.Contains(n!)) is { } extra)
        {
            throw new ContainerException($"checkpoint image {Path.Combine(dir, extra)} is not in the manifest: added since the checkpoint");
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

public sealed record ImageFile(string Name, long Size, string Sha256);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ImageManifestJsonContext : JsonSerializerContext
{
}
