/*
 * qemu32.c - the 32-bit oracle when the host CPU cannot be used: QEMU's
 * user-mode emulator (qemu-i386) running oracle32.c, a static i386 program.
 *
 * The tester prefers the host CPU (native.c): silicon is the stronger
 * oracle.  A host whose kernel cannot run compatibility-mode code (a PVM
 * guest, IA-32 emulation off) falls back to this one.  QEMU's TCG is an
 * implementation of the SDM, not the SDM itself: where it is known to
 * differ, the form is named with its SDM reference in
 * tests/difftest/qemu32.known (known.c), never silently special-cased.
 *
 * The oracle runs as a child process; one struct dt_wire_req goes down a
 * pipe per case and one struct dt_wire_reply comes back (layout.h).  If the
 * child dies on a case, a new one is started and asked again; a case that
 * kills it twice is reported with exception 254 (QEMU aborts on a few
 * invalid encodings: qemu32.known).
 */
#define _GNU_SOURCE
#include "tests/difftest/difftest.h"
#include "tests/difftest/host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu/cpu.h"

static pid_t child = -1;
static int to_fd = -1, from_fd = -1;
static char oracle_path[PATH_MAX + 32], qemu_path[PATH_MAX];

static void stop_child(void)
{
	if (child < 0)
		return;
	close(to_fd);
	close(from_fd);
	waitpid(child, NULL, 0); /* EOF on its stdin ends it */
	child = -1;
}

static int start_child(void)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		/* QEMU aborts on a few invalid encodings (qemu32.known): no core
		 * file for those, and its complaint only under DT_DEBUG. */
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		if (!getenv("DT_DEBUG")) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 2);
		}
		dup2(down[0], 0);
		dup2(up[1], 1);
		execlp(qemu_path, qemu_path, oracle_path, (char *)NULL);
		fprintf(stderr, "difftest: cannot run %s: %s\n", qemu_path, strerror(errno));
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	to_fd = down[1];
	from_fd = up[0];
	return 0;
}

/* One case through the oracle; false when the child died on it. */
static bool ask(const struct dt_wire_req *rq, struct dt_wire_reply *rp)
{
	if (child < 0 && start_child())
		return false;
	if (dt_xfer(to_fd, (void *)rq, sizeof(*rq), 1) || dt_xfer(from_fd, rp, sizeof(*rp), 0) ||
	    rp->magic != DT_WIRE_MAGIC) {
		stop_child();
		return false;
	}
	return true;
}

void dt_qemu_run(const struct dt_case *tc, struct dt_state *out)
{
	static struct dt_wire_req rq;
	static struct dt_wire_reply rp;

	memset(&rq, 0, sizeof(rq));
	rq.magic = DT_WIRE_MAGIC;
	rq.len = tc->len;
	memcpy(rq.bytes, tc->bytes, tc->len);
	rq.target = (u32)tc->target;
	for (int r = 0; r < 8; r++)
		rq.gpr[r] = (u32)tc->in.gpr[r];
	rq.eflags = (u32)tc->in.rflags;
	memcpy(rq.data, tc->in.data, DT_DATA_LEN);

	memset(out, 0, sizeof(*out));
	/* A child that dies is started again and asked once more: only a
	 * case that kills QEMU twice is reported as such. */
	if (!ask(&rq, &rp) && !ask(&rq, &rp)) {
		out->exc = 254; /* the oracle died: never equal to vmlab's answer */
		memcpy(out->data, tc->in.data, DT_DATA_LEN);
		return;
	}
	for (int r = 0; r < 8; r++)
		out->gpr[r] = rp.gpr[r];
	/* Registers 8-15 do not exist in 32-bit mode; only the low eight are
	 * compared (difftest.c). */
	out->rflags = rp.eflags;
	out->rip = rp.eip;
	out->exc = rp.exc;
	if (getenv("DT_DEBUG") && rp.exc != -1)
		fprintf(stderr, "oracle32: signal %u trap %u -> vector %d\n", rp.signo, rp.trapno,
			rp.exc);
	memcpy(out->data, rp.data, DT_DATA_LEN);
}

/*
 * Find qemu-i386 ($DT_QEMU_I386, else PATH) and the oracle program
 * ($DT_ORACLE32, else difftest-oracle32 beside this executable), start it
 * and check it answers a case that cannot fail (xor eax, eax).  Returns -1
 * with a one-line reason in why when there is no working QEMU oracle.
 */
int dt_qemu_init(char *why, size_t n)
{
	const char *q = getenv("DT_QEMU_I386"), *o = getenv("DT_ORACLE32");
	struct dt_case probe = {.mode = 32, .bytes = {0x31, 0xc0}, .len = 2, .asize = 4};
	struct dt_state out;

	signal(SIGPIPE, SIG_IGN); /* a dead child shows as a write error */
	snprintf(qemu_path, sizeof(qemu_path), "%s", q && *q ? q : "qemu-i386");
	if (o && *o) {
		snprintf(oracle_path, sizeof(oracle_path), "%s", o);
	} else {
		char self[PATH_MAX];
		ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;

		if (k <= 0)
			return snprintf(why, n, "cannot read /proc/self/exe"), -1;
		self[k] = 0;
		slash = strrchr(self, '/');
		*slash = 0;
		snprintf(oracle_path, sizeof(oracle_path), "%s/difftest-oracle32", self);
	}
	if (access(oracle_path, R_OK))
		return snprintf(why, n, "no oracle program %s (make %s)", oracle_path, oracle_path),
		       -1;
	probe.in.rflags = FL_1 | FL_IF;
	probe.in.gpr[RAX] = 0x1234;
	probe.in.gpr[RSP] = DT_DATA_VA + 0x1000;
	dt_qemu_run(&probe, &out);
	if (out.exc != -1 || out.gpr[RAX] != 0 || out.rip != DT_INSN_VA + 2)
		return snprintf(why, n, "%s %s does not answer (is qemu-user installed?)",
				qemu_path, oracle_path),
		       -1;
	atexit(stop_child);
	return 0;
}
