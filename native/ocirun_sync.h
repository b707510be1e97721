/* Frame and record types of the parent <-> init sync socket. The managed side
 * mirrors these numbers in src/Ocirun.Runtime/Sync/SyncType.cs; a unit test
 * compares the two. */
#ifndef OCIRUN_SYNC_H
#define OCIRUN_SYNC_H

#define OCIRUN_SYNC_MAX_FRAME (16u << 20)

/* After the pid in the PID frame: how the init got into its cgroup2 directory. */
#define OCIRUN_CGROUP2_NONE 0
#define OCIRUN_CGROUP2_CLONE3 1
#define OCIRUN_CGROUP2_PROCS 2

/* At most this many namespace joins, and this many v1 cgroup hierarchies. */
#define OCIRUN_MAX_RECORDS 16

/* Frame types. */
#define OCIRUN_SYNC_BOOTSTRAP 1
#define OCIRUN_SYNC_USERMAP_PLS 2
#define OCIRUN_SYNC_USERMAP_ACK 3
#define OCIRUN_SYNC_PID 4
#define OCIRUN_SYNC_ERROR 5

/* Records inside the bootstrap frame. */
#define OCIRUN_BOOT_UNSHARE 1
#define OCIRUN_BOOT_JOIN 2
#define OCIRUN_BOOT_TIMENS_OFFSETS 3
#define OCIRUN_BOOT_CGROUP_V1_TASKS 4
#define OCIRUN_BOOT_CGROUP_V2_DIR 5

#endif
