namespace Ocirun.E2ETests.Harness;

/// <summary>
/// Shared by every test (one collection, so tests run one at a time: `checkpoint -l`
/// means "the latest container", which must be the test's own). Creates the source Podman
/// host and imports the busybox image into it once; saves that image to an archive so
/// that other hosts can `podman load` the very same image (same ID, as a registry would
/// give them). At the end removes every container, volume and image, and the directories.
/// </summary>
public sealed class PodmanFixture : IDisposable
{
    public PodmanFixture()
    {
        Directory.CreateDirectory(E2EEnv.Base);
        Source = new PodmanHost("src");
        try
        {
            Source.ImportRootfs();
            ImageArchive = Path.Combine(Source.Dir, "busybox-image.tar");
            Source.For("ocirun").Ok("save", "-q", "-o", ImageArchive, E2EEnv.Image);
        }
        catch
        {
            Source.Dispose();
            throw;
        }
    }

    public PodmanHost Source { get; }

    /// <summary>`podman save` of localhost/busybox:latest.</summary>
    public string ImageArchive { get; }

    public void Dispose()
    {
        Source.Dispose();
        PodmanHost.Try(() =>
        {
            if (Directory.Exists(E2EEnv.Base) && !Directory.EnumerateFileSystemEntries(E2EEnv.Base).Any())
            {
                Directory.Delete(E2EEnv.Base);
            }
        });
    }
}

[CollectionDefinition("podman")]
public sealed class PodmanCollection : ICollectionFixture<PodmanFixture>;
