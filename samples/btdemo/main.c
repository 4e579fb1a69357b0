/*
 * main.c - samples/btdemo: a known call chain for the monitor's `bt`.
 *
 * sample_main -> bt_outer -> bt_middle -> bt_leaf, each a real call
 * (noinline, no tail calls) with a frame built by `push rbp; mov rbp, rsp`
 * (-fno-omit-frame-pointer, System V AMD64 ABI §3.2.2), so a breakpoint
 * on bt_leaf must show exactly that chain, innermost first.  The result
 * (a small sum) goes to COM1 and becomes the exit value 0x10 when right.
 */
#include <stdint.h>

#include "samples/lib/exit.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);

/* volatile: keeps the compiler from folding the whole chain. */
static volatile unsigned depth_seen;

/* A stack local, so that even this leaf builds a frame. */
__attribute__((noinline)) unsigned bt_leaf(unsigned x)
{
	volatile unsigned local[2] = {x, 3};

	depth_seen = local[1];
	return local[0] * 3 + 1;
}

__attribute__((noinline)) unsigned bt_middle(unsigned x)
{
	unsigned r = bt_leaf(x + 1);

	return r + depth_seen;
}

__attribute__((noinline)) unsigned bt_outer(unsigned x)
{
	unsigned r = bt_middle(x * 2);

	return r + 1;
}

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	unsigned r;

	(void)magic;
	(void)mbi_phys;
	serial_init();
	r = bt_outer(5); /* bt_middle(10) -> bt_leaf(11) = 34; + 3; + 1 = 38 */
	printf("[btdemo] chain result %u\n", r);
	return r == 38 ? 0x10 : 0x11;
}
