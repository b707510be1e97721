namespace Ocirun.Runtime.Sync;

/// <summary>Frame types on the parent/init socket. 1–5 must match native/ocirun_sync.h.</summary>
public enum SyncType : uint
{
    Bootstrap = 1,
    UsermapPlease = 2,
    UsermapAck = 3,
    Pid = 4,
    Error = 5,

    // Managed stage only.
    InitConfig = 10,
    HooksPlease = 11,
    HooksDone = 12,
    Ready = 13,
    SeccompFd = 14,
    SeccompDone = 15,
    /// <summary>
    /// The init asks for the source of a spec mount (payload: its index) when its turn comes;
    /// the parent answers with the fd alone (SCM_RIGHTS, one byte), no frame.
    /// </summary>
    MountSourcePlease = 17,
}

/// <summary>Record keys inside the bootstrap frame (native/ocirun_sync.h).</summary>
public enum BootRecord : uint
{
    Unshare = 1,
    Join = 2,
    TimensOffsets = 3,
    CgroupV1Tasks = 4,
    CgroupV2Dir = 5,
}
