/*
 * check.h - a sample's self-checks, one line each on COM1:
 *   "  ok   <what>"  or  "  FAIL <what>"
 * in raw bytes ('\n' alone, serial_write()): the 32-bit samples' output is
 * compared byte for byte with QEMU's (tests/suites/trap.sh, nanobench.sh).
 */
#ifndef SAMPLES_LIB_CHECK_H
#define SAMPLES_LIB_CHECK_H

/* Print the line for one check; a failed one is counted. */
void check(const char *what, int ok);
/* How many checks failed so far. */
int check_failures(void);

#endif
