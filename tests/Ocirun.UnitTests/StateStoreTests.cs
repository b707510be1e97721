using Ocirun.Runtime;
using Ocirun.Runtime.State;

namespace Ocirun.UnitTests;

/// <summary>StateStore in a temp root: ids, directories and the atomic record (state.bin).</summary>
public sealed class StateStoreTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly StateStore _store;

    public StateStoreTests() => _store = new StateStore(_tmp.Combine("root"));

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("a")]
    [InlineData("my-container_1.2+3")]
    [InlineData("...")]
    [InlineData("ABC")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void ValidIds(string id) => StateStore.ValidateId(id);

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("x y")]
    [InlineData("a:b")]
    [InlineData("/abs")]
    [InlineData("tab\tid")]
    public void InvalidIds(string id) =>
        Assert.Equal("invalid container ID format: " + id, Assert.Throws<ContainerException>(() => StateStore.ValidateId(id)).Message);

    /// <summary>
    /// BUG: .NET's "$" also matches before a final newline and "\w" is Unicode, so "abc\n" and
    /// non-ASCII ids pass (runc's Go regexp rejects both). Fix: @"^[A-Za-z0-9_+\-.]+\z".
    /// </summary>
    [Theory]
    [InlineData("abc\n")]
    [InlineData("café")]
    public void IdsAreAsciiWithoutTrailingNewline(string id) =>
        Assert.Throws<ContainerException>(() => StateStore.ValidateId(id));

    [Fact]
    public void CreateDirTwiceFails()
    {
        _store.CreateDir("c1");
        Assert.True(Directory.Exists(_store.Dir("c1")));
        Assert.True(Directory.Exists(_store.Dir("c1")));
        var e = Assert.Throws<ContainerException>(() => _store.CreateDir("c1"));
        Assert.Equal("container with given ID already exists", e.Message);
    }

    [Fact]
    public void CreateDirRejectsBadIdBeforeTouchingDisk()
    {
        Assert.Throws<ContainerException>(() => _store.CreateDir("../escape"));
        Assert.False(Directory.Exists(_tmp.Combine("escape")));
    }

    [Fact]
    public void CreateDirIsNotReadableByOthers()
    {
        _store.CreateDir("c1");
        var mode = File.GetUnixFileMode(_store.Dir("c1"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.Equal((UnixFileMode)0, mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite));
    }

    [Fact]
    public void AnotherRuntimesStateIsNotTakenForAStoppedContainer()
    {
        _store.CreateDir("c1");
        File.WriteAllText(Path.Combine(_store.Dir("c1"), StateStore.StateFile), """{"id":"c1","init_process_pid":1234,"config":{}}""");
        Assert.Equal("container c1: state.json was not written by ocirun", Assert.Throws<ContainerException>(() => _store.Load("c1")).Message);
    }

    [Fact]
    public void CorruptStateIsAClearError()
    {
        _store.CreateDir("c1");
        File.WriteAllText(Path.Combine(_store.Dir("c1"), StateStore.StateFile), "garbage");
        var e = Assert.Throws<ContainerException>(() => _store.Load("c1"));
        Assert.StartsWith("container c1: unreadable state.json: invalid JSON at line 1, column 1", e.Message);
    }

    [Fact]
    public void TheOwnerIsTheStateDirectorysAsRuncShowsIt()
    {
        _store.CreateDir("c2");
        Assert.Equal(0u, _store.OwnerOf("c2"));
        File.SetUnixFileMode(_store.Dir("c2"), (UnixFileMode)0x1c0);
        Assert.Equal(0, Chown(_store.Dir("c2"), 4321, 4321));
        Assert.Equal(4321u, _store.OwnerOf("c2"));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint uid, uint gid);

    private static int Chown(string path, uint uid, uint gid) => chown(path, uid, gid);

    [Fact]
    public void SaveLoadRoundTrip()
    {
        _store.CreateDir("c1");
        var record = new ContainerRecord
        {
            Id = "c1", OciVersion = "1.2.0", InitPid = 4242, InitStartTime = 123456789, Bundle = "/b", Rootfs = "/b/rootfs",
            Created = "2024-01-02T03:04:05.000000006Z", Annotations = new() { ["k"] = "v" },
            CgroupPaths = new() { ["memory"] = "/sys/fs/cgroup/memory/c1" }, NoPivot = true,
            SystemdUnit = "ocirun-c1.scope", SystemdUserBus = true,
            Hooks = new Spec.Model.Hooks
            {
                Prestart = [new Spec.Model.Hook { Path = "/p", Args = ["p", "1"], Env = ["A=1"] }],
                CreateRuntime = [new Spec.Model.Hook { Path = "/cr" }], CreateContainer = [new Spec.Model.Hook { Path = "/cc" }],
                StartContainer = [new Spec.Model.Hook { Path = "/sc" }], Poststart = [new Spec.Model.Hook { Path = "/ps" }],
                Poststop = [new Spec.Model.Hook { Path = "/bin/true", Timeout = 3 }],
            },
        };
        _store.Save(record);
        var loaded = _store.Load("c1")!;
        Assert.Equal((4242, 123456789ul, "/b/rootfs", true),
            (loaded.InitPid, loaded.InitStartTime, loaded.Rootfs, loaded.NoPivot));
        Assert.Equal("v", loaded.Annotations!["k"]);
        Assert.Equal("/sys/fs/cgroup/memory/c1", loaded.CgroupPaths["memory"]);
        Assert.Equal(3, loaded.Hooks!.Poststop![0].Timeout);
        // Every field of the record survives, the hooks of every kind included.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(record, StateJsonContext.Default.ContainerRecord),
            System.Text.Json.JsonSerializer.Serialize(loaded, StateJsonContext.Default.ContainerRecord));
        Assert.True(File.Exists(Path.Combine(_store.Dir("c1"), StateStore.RecordFile)));
    }

    [Fact]
    public void ARecordAnEarlierOcirunWroteIsReadAndMovesToStateBinAtItsNextSave()
    {
        _store.CreateDir("c1");
        File.WriteAllText(Path.Combine(_store.Dir("c1"), StateStore.StateFile),
            """{"id":"c1","ociVersion":"1.2.0","initPid":77,"bundle":"/b","rootfs":"/b/rootfs","cgroupPaths":{}}""");
        var old = _store.Load("c1")!;
        Assert.Equal((77, "/b/rootfs"), (old.InitPid, old.Rootfs));
        _store.Save(old);
        Assert.Equal([StateStore.RecordFile], Directory.GetFileSystemEntries(_store.Dir("c1")).Select(Path.GetFileName));
        Assert.Equal(77, _store.Load("c1")!.InitPid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    public void ACutOrForeignRecordIsAClearError(int keep)
    {
        _store.CreateDir("c1");
        _store.Save(new ContainerRecord { Id = "c1", InitPid = 1, Bundle = "/b" });
        var path = Path.Combine(_store.Dir("c1"), StateStore.RecordFile);
        File.WriteAllBytes(path, keep == 0 ? "garbage!"u8.ToArray() : File.ReadAllBytes(path)[..keep]);
        Assert.StartsWith("container c1: unreadable state.bin: ", Assert.Throws<ContainerException>(() => _store.Load("c1")).Message);
    }

    [Fact]
    public void SaveReplacesAndLeavesNoTempFile()
    {
        _store.CreateDir("c1");
        _store.Save(new ContainerRecord { Id = "c1", InitPid = 1, Bundle = "/b" });
        _store.Save(new ContainerRecord { Id = "c1", InitPid = 2, Bundle = "/b" });
        Assert.Equal(2, _store.Load("c1")!.InitPid);
        Assert.Equal([StateStore.RecordFile], Directory.GetFileSystemEntries(_store.Dir("c1")).Select(Path.GetFileName));
    }

    [Fact]
    public void LoadMissing()
    {
        Assert.Null(_store.Load("nope"));
        _store.CreateDir("empty");
        Assert.Null(_store.Load("empty"));
    }

    [Fact]
    public void IdsAreSortedAndFiltered()
    {
        Assert.Empty(_store.Ids());
        foreach (var id in new[] { "b", "a", "c.1", "B" })
        {
            _store.CreateDir(id);
        }
        Directory.CreateDirectory(Path.Combine(_store.Root, "not valid"));
        File.WriteAllText(Path.Combine(_store.Root, "file"), "");
        Assert.Equal(["B", "a", "b", "c.1"], _store.Ids());
    }

    [Fact]
    public void RemoveDeletesEverything()
    {
        _store.CreateDir("c1");
        _store.Save(new ContainerRecord { Id = "c1" });
        _store.Remove("c1");
        Assert.False(Directory.Exists(_store.Dir("c1")));
        _store.Remove("c1");
        _store.CreateDir("c1");
    }

    [Fact]
    public void LockOfMissingContainerIsNull() => Assert.Null(_store.Lock("ghost"));

    [Fact]
    public void LockCanBeTakenAgainAfterRelease()
    {
        _store.CreateDir("c1");
        using (var l = _store.Lock("c1"))
        {
            Assert.NotNull(l);
        }
        using var again = _store.Lock("c1");
        Assert.NotNull(again);
    }
}
