/*
 * check.c - a sample's self-checks as report lines on COM1 (see check.h).
 */
#include "samples/lib/check.h"
#include "samples/lib/serial.h"

static int failures;

void check(const char *what, int ok)
{
	serial_write(ok ? "  ok   " : "  FAIL ");
	serial_write(what);
	serial_tx('\n');
	if (!ok)
		failures++;
}

int check_failures(void)
{
	return failures;
}
