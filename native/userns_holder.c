/*
 * A process that holds a new user namespace open for the runtime's parent while it writes
 * the namespace's id maps and opens /proc/PID/ns/user: the user namespace an idmapped mount
 * (MOUNT_ATTR_IDMAP) takes its mapping from. Called through P/Invoke from the managed
 * parent; the clone()d child runs only the C below (no managed code in a forked child) and
 * exits once the parent closes its end of the release pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct hold_args {
	int release_rd;
	int release_wr;
};

static int hold(void *p)
{
	struct hold_args *a = p;
	char c;

	/* The child has a copy of the write end too: without closing it, read() never sees EOF. */
	close(a->release_wr);
	while (read(a->release_rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Returns the holder's pid and the fd whose close releases it, or -1 with errno set. */
int ocirun_userns_holder(int *release)
{
	enum { STACK_SIZE = 64 * 1024 };
	int p[2];
	char *stack;
	struct hold_args a;
	int pid, saved;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	stack = malloc(STACK_SIZE);
	if (!stack) {
		close(p[0]);
		close(p[1]);
		errno = ENOMEM;
		return -1;
	}
	a.release_rd = p[0];
	a.release_wr = p[1];
	pid = clone(hold, stack + STACK_SIZE, CLONE_NEWUSER | SIGCHLD, &a);
	saved = errno;
	/* Without CLONE_VM the child runs on its own copy of the stack. */
	free(stack);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		errno = saved;
		return -1;
	}
	*release = p[1];
	return pid;
}
