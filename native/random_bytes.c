/*
 * The .NET runtime's source of random bytes (hash code seeds, Random, Guid), given here in
 * place of the runtime's own, which keeps an fd on /dev/urandom open for the rest of the
 * process: a created container's init would hold that fd until `start`. getrandom(2)
 * needs no fd. The linker takes these definitions and so never pulls the runtime's
 * random.c.o from libaotminipal.a (it defines these two functions and nothing else; were it
 * pulled too, the link would fail on the duplicate, not pass silently).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* 0 on success, -1 when the kernel gave no bytes (a seccomp profile may refuse getrandom). */
int32_t minipal_get_cryptographically_secure_random_bytes(uint8_t *buffer, int32_t length)
{
	int32_t done = 0;

	while (done < length) {
		ssize_t n = getrandom(buffer + done, (size_t)(length - done), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (int32_t)n;
	}
	return 0;
}

/*
 * Seeds only, never secrets: where getrandom is refused, bytes from the clock and pid
 * (splitmix64) are good enough, as the runtime's own fallback (lrand48) is.
 */
void minipal_get_non_cryptographically_secure_random_bytes(uint8_t *buffer, int32_t length)
{
	static uint64_t state;
	struct timespec ts;

	if (minipal_get_cryptographically_secure_random_bytes(buffer, length) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	state ^= (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16);
	for (int32_t i = 0; i < length; i++) {
		uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buffer[i] = (uint8_t)(z ^ (z >> 31));
	}
}
