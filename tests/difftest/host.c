/*
 * host.c - the difftest's host-OS helpers (see host.h): fixed mappings
 * (mmap(2) MAP_FIXED_NOREPLACE, Linux 4.17), fault signals on an alternate
 * stack (sigaltstack(2), sigaction(2) SA_ONSTACK | SA_NODEFER) and full
 * reads and writes of fixed-size records on a pipe (read(2)/write(2) may
 * transfer less than asked, or fail with EINTR).
 *
 * Built twice: into vmlab-difftest (64-bit) and into difftest-oracle32
 * (i386, static; tests/difftest.mk).
 */
#define _GNU_SOURCE
#include "tests/difftest/host.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *dt_map_fixed(uintptr_t va, size_t len, int prot)
{
	void *p =
	    mmap((void *)va, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	/* A kernel older than 4.17 ignores the flag and may place it elsewhere. */
	if (p == MAP_FAILED || p != (void *)va)
		return NULL;
	return p;
}

int dt_catch_faults(void (*fn)(int sig, siginfo_t *si, void *uc))
{
	static uint8_t altstack[64 * 1024];
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;

	if (sigaltstack(&ss, NULL))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t s = 0; s < sizeof(sigs) / sizeof(sigs[0]); s++)
		sigaction(sigs[s], &sa, NULL);
	return 0;
}

int dt_xfer(int fd, void *buf, size_t n, int writing)
{
	char *p = buf;

	while (n) {
		ssize_t k = writing ? write(fd, p, n) : read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
