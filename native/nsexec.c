/*
 * Namespace stage of `ocirun init`, run as an ELF constructor before the .NET
 * runtime starts (the runtime is multithreaded from its first instruction, and
 * unshare(CLONE_NEWUSER), setns into a mount namespace and fork-without-exec
 * need a single-threaded process).
 *
 * The managed parent spawns `ocirun init` with a stream socket in the
 * environment variable _OCIRUN_SYNC_FD. This process (stage 0) reads the
 * bootstrap frame, joins the container's cgroups, joins and creates the
 * namespaces, then clones the container init with CLONE_PARENT so the init is
 * the managed parent's child (the parent can wait for it) and lives in the new
 * pid/time namespaces. Stage 0 reports the init's pid and exits; only the init
 * returns into .NET.
 *
 * Why the cgroups are joined here rather than by the parent writing a pid to
 * cgroup.procs: moving a whole process takes the kernel's global
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period
 * (5-20 ms) after a quiet spell. A single-threaded process that moves itself
 * through a v1 hierarchy's `tasks` file with "0" skips that lock, and on
 * cgroup2 clone3(CLONE_INTO_CGROUP) places the init without any migration.
 *
 * Frame layout (both directions): u32 type, u32 length, payload. See
 * native/ocirun_sync.h for the types; the managed side mirrors them in
 * src/Ocirun.Runtime/Sync/SyncType.cs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ocirun_sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's argument, as of Linux 5.7 (the version that added the cgroup field). */
struct ocirun_clone_args {
	__aligned_u64 flags;
	__aligned_u64 pidfd;
	__aligned_u64 child_tid;
	__aligned_u64 parent_tid;
	__aligned_u64 exit_signal;
	__aligned_u64 stack;
	__aligned_u64 stack_size;
	__aligned_u64 tls;
	__aligned_u64 set_tid;
	__aligned_u64 set_tid_size;
	__aligned_u64 cgroup;
};

static int sync_fd = -1;
/* Reported to the parent with the init's pid, for its debug log. */
static uint32_t cgroup2_placement = OCIRUN_CGROUP2_NONE;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(uint32_t type, const void *payload, uint32_t len)
{
	uint32_t hdr[2] = { type, len };
	if (write_all(sync_fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? write_all(sync_fd, payload, len) : 0;
}

/* Reports errno and a message to the parent, then exits: the parent turns the
 * frame into the command's error. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[512];
	int32_t err = errno;
	memcpy(buf, &err, sizeof(err));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + sizeof(err), sizeof(buf) - sizeof(err), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - sizeof(err) - 1)
		n = (int)(sizeof(buf) - sizeof(err) - 1);
	send_frame(OCIRUN_SYNC_ERROR, buf, (uint32_t)(sizeof(err) + (size_t)n));
	_exit(1);
}

static char *read_frame(uint32_t want, uint32_t *len_out)
{
	uint32_t hdr[2];
	if (read_all(sync_fd, hdr, sizeof(hdr)) < 0)
		die("read sync frame header");
	if (hdr[0] != want) {
		errno = EPROTO;
		die("unexpected sync frame %u (wanted %u)", hdr[0], want);
	}
	if (hdr[1] > OCIRUN_SYNC_MAX_FRAME) {
		errno = E2BIG;
		die("sync frame too large: %u", hdr[1]);
	}
	char *buf = malloc(hdr[1] + 1);
	if (!buf)
		die("malloc");
	if (hdr[1] && read_all(sync_fd, buf, hdr[1]) < 0)
		die("read sync frame body");
	buf[hdr[1]] = 0;
	*len_out = hdr[1];
	return buf;
}

struct bootstrap {
	uint64_t unshare_flags;
	/* Paths of namespaces to join, in the order the parent sent them (the
	 * parent puts the user namespace first). */
	int njoin;
	uint32_t join_type[OCIRUN_MAX_RECORDS];
	const char *join_path[OCIRUN_MAX_RECORDS];
	const char *timens_offsets;
	/* `tasks` files of the v1 hierarchies and the cgroup2 directory, if any. */
	int ntasks;
	const char *v1_tasks[OCIRUN_MAX_RECORDS];
	const char *v2_dir;
};

/* The bootstrap payload is a sequence of records: u32 key, u32 len, bytes. */
static void parse_bootstrap(char *buf, uint32_t len, struct bootstrap *b)
{
	uint32_t off = 0;
	memset(b, 0, sizeof(*b));
	while (off + 8 <= len) {
		uint32_t key, rlen;
		memcpy(&key, buf + off, 4);
		memcpy(&rlen, buf + off + 4, 4);
		off += 8;
		if (rlen > len - off) {
			errno = EINVAL;
			die("bootstrap record overruns frame");
		}
		char *val = buf + off;
		switch (key) {
		case OCIRUN_BOOT_UNSHARE:
			if (rlen != 8) {
				errno = EINVAL;
				die("bootstrap unshare flags length %u", rlen);
			}
			memcpy(&b->unshare_flags, val, 8);
			break;
		case OCIRUN_BOOT_JOIN:
			if (rlen < 5 || b->njoin == OCIRUN_MAX_RECORDS || val[rlen - 1] != 0) {
				errno = EINVAL;
				die("bad namespace join record");
			}
			memcpy(&b->join_type[b->njoin], val, 4);
			b->join_path[b->njoin] = val + 4;
			b->njoin++;
			break;
		case OCIRUN_BOOT_TIMENS_OFFSETS:
			if (rlen == 0 || val[rlen - 1] != 0) {
				errno = EINVAL;
				die("bad time namespace offsets record");
			}
			b->timens_offsets = val;
			break;
		case OCIRUN_BOOT_CGROUP_V1_TASKS:
			if (rlen == 0 || b->ntasks == OCIRUN_MAX_RECORDS || val[rlen - 1] != 0) {
				errno = EINVAL;
				die("bad cgroup record");
			}
			b->v1_tasks[b->ntasks++] = val;
			break;
		case OCIRUN_BOOT_CGROUP_V2_DIR:
			if (rlen == 0 || val[rlen - 1] != 0) {
				errno = EINVAL;
				die("bad cgroup2 record");
			}
			b->v2_dir = val;
			break;
		default:
			errno = EINVAL;
			die("unknown bootstrap record %u", key);
		}
		off += rlen;
	}
}

/* Become the namespace's root so that what follows is owned by it. */
static void become_namespace_root(void)
{
	if (setresgid(0, 0, 0) < 0)
		die("setresgid to namespace root");
	if (setresuid(0, 0, 0) < 0)
		die("setresuid to namespace root");
}

/* Joins the namespaces given by path, except a cgroup namespace: its fd is
 * returned (or -1) for the init to join after the clone. Once in a cgroup
 * namespace, moving a process from outside its root into its cgroups is
 * refused where cgroup2 is mounted with nsdelegate (as systemd mounts it). */
static int join_namespaces(const struct bootstrap *b)
{
	/* Open every path first: once we are in another mount namespace the
	 * remaining paths may no longer resolve. */
	int fds[OCIRUN_MAX_RECORDS], cgroupns = -1;
	for (int i = 0; i < b->njoin; i++) {
		fds[i] = open(b->join_path[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("open namespace %s", b->join_path[i]);
		if (b->join_type[i] == CLONE_NEWCGROUP) {
			cgroupns = fds[i];
			fds[i] = -1;
		}
	}
	/* Three passes, as runc 1.2 joins them: first every namespace we may
	 * join as we are (one owned by the host's user namespace cannot be
	 * joined once we are in another), then the user namespace, then what
	 * only its capabilities let us join. */
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < b->njoin; i++) {
			if (fds[i] < 0 || (pass == 1) != (b->join_type[i] == CLONE_NEWUSER))
				continue;
			if (setns(fds[i], (int)b->join_type[i]) < 0) {
				if (pass == 0 && errno == EPERM)
					continue;
				die("setns %s", b->join_path[i]);
			}
			close(fds[i]);
			fds[i] = -1;
			/* Our host ids are unmapped there (unless the namespace maps
			 * host root): files we made would fail with EOVERFLOW. */
			if (pass == 1)
				become_namespace_root();
		}
	}
	return cgroupns;
}

/* Where clone3 cannot place the init in its cgroup2 directory, this stage
 * joins it first (the slow way, through cgroup.procs) and the init inherits it. */
static void join_cgroup2_slowly(int dirfd, const char *dir)
{
	int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, "0", 1) < 0)
		die("join cgroup %s", dir);
	close(fd);
	cgroup2_placement = OCIRUN_CGROUP2_PROCS;
}

static int enters_user_namespace(const struct bootstrap *b)
{
	if (b->unshare_flags & CLONE_NEWUSER)
		return 1;
	for (int i = 0; i < b->njoin; i++)
		if (b->join_type[i] == CLONE_NEWUSER)
			return 1;
	return 0;
}

/* Moves this (single-threaded) process into each v1 hierarchy's cgroup and
 * returns an fd of the cgroup2 directory for clone3, or -1. Done first: the
 * paths are the host's, and joining a user namespace could take away the right
 * to write them. */
static int join_cgroups(const struct bootstrap *b)
{
	for (int i = 0; i < b->ntasks; i++) {
		int fd = open(b->v1_tasks[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, "0", 1) < 0)
			die("join cgroup %s", b->v1_tasks[i]);
		close(fd);
	}
	if (!b->v2_dir)
		return -1;
	int fd = open(b->v2_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open cgroup %s", b->v2_dir);
	/* Inside a user namespace clone3 would be refused the cgroup (its
	 * cgroup.procs belongs to the host's root), so join it now instead. */
	if (enters_user_namespace(b)) {
		join_cgroup2_slowly(fd, b->v2_dir);
		close(fd);
		return -1;
	}
	return fd;
}

static long clone_init(int cgroup2_fd, const char *cgroup2_dir)
{
	struct ocirun_clone_args args;
	memset(&args, 0, sizeof(args));
	/* With CLONE_PARENT clone3 wants exit_signal 0: the init inherits this
	 * stage's own (SIGCHLD), which is what the managed parent waits for. */
	args.flags = CLONE_PARENT;
	if (cgroup2_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup2_fd;
	}
	long child = syscall(SYS_clone3, &args, sizeof(args));
	if (child >= 0 && cgroup2_fd >= 0)
		cgroup2_placement = OCIRUN_CGROUP2_CLONE3;
	/* No clone3 (ENOSYS, Linux < 5.3), or one without the cgroup field (E2BIG
	 * or EINVAL, Linux < 5.7): the slow way below. A real refusal of the
	 * cgroup shows again there, as an error naming it. */
	if (child >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
		return child;
	if (cgroup2_fd >= 0)
		join_cgroup2_slowly(cgroup2_fd, cgroup2_dir);
	return syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
}

static void create_user_namespace(void)
{
	if (unshare(CLONE_NEWUSER) < 0)
		die("unshare user namespace");
	/* Only the parent, outside the namespace, may write our id maps. */
	int32_t pid = getpid();
	if (send_frame(OCIRUN_SYNC_USERMAP_PLS, &pid, sizeof(pid)) < 0)
		die("send usermap request");
	uint32_t len;
	free(read_frame(OCIRUN_SYNC_USERMAP_ACK, &len));
	become_namespace_root();
}

static void write_timens_offsets(const char *offsets)
{
	/* Becoming a user namespace's root made this process undumpable, and the
	 * /proc/self files of an undumpable process belong to the host's root,
	 * which the namespace does not map: dumpable just for the write. */
	int was = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (was == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		die("prctl dumpable");
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/self/timens_offsets");
	if (write_all(fd, offsets, strlen(offsets)) < 0)
		die("write /proc/self/timens_offsets");
	close(fd);
	if (was == 0)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

__attribute__((constructor)) static void ocirun_nsexec(void)
{
	const char *fdstr = getenv("_OCIRUN_SYNC_FD");
	if (!fdstr)
		return;
	sync_fd = atoi(fdstr);
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		/* No channel to report on: nothing sensible but to stop. */
		_exit(1);
	}
	prctl(PR_SET_NAME, "ocirun:[0:NS]", 0, 0, 0);

	uint32_t len;
	char *boot = read_frame(OCIRUN_SYNC_BOOTSTRAP, &len);
	struct bootstrap b;
	parse_bootstrap(boot, len, &b);

	int cgroup2_fd = join_cgroups(&b);
	int cgroupns_fd = join_namespaces(&b);
	if (b.unshare_flags & CLONE_NEWUSER)
		create_user_namespace();
	/* The init creates or joins its cgroup namespace itself, once it is in
	 * its cgroups: a new namespace's root is where its creator is. */
	uint64_t rest = b.unshare_flags & ~(uint64_t)(CLONE_NEWUSER | CLONE_NEWCGROUP);
	if (rest && unshare((int)rest) < 0)
		die("unshare namespaces 0x%llx", (unsigned long long)rest);
	if (b.timens_offsets)
		write_timens_offsets(b.timens_offsets);

	/* The pid and time namespaces apply to children only, hence the clone.
	 * CLONE_PARENT makes the init a sibling of this stage, i.e. a child of the
	 * managed parent. */
	long child = clone_init(cgroup2_fd, b.v2_dir);
	if (child < 0)
		die("clone container init");
	if (child > 0) {
		uint32_t report[2] = { (uint32_t)child, cgroup2_placement };
		if (send_frame(OCIRUN_SYNC_PID, report, sizeof(report)) < 0)
			_exit(1);
		_exit(0);
	}
	prctl(PR_SET_NAME, "ocirun:[1:INIT]", 0, 0, 0);
	if (cgroup2_fd >= 0)
		close(cgroup2_fd);
	if (cgroupns_fd >= 0) {
		if (setns(cgroupns_fd, CLONE_NEWCGROUP) < 0)
			die("setns cgroup namespace");
		close(cgroupns_fd);
	}
	if ((b.unshare_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		die("unshare cgroup namespace");
	/* A session of its own: the caller's session leader is outside the pid
	 * namespace, which CRIU cannot dump, and a terminal needs it anyway. */
	if (setsid() < 0)
		die("setsid");
	free(boot);
	/* Return into .NET: Main sees `init` and continues with the managed stage. */
}
