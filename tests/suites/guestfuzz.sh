#!/usr/bin/env bash
# tests/suites/guestfuzz.sh - a short guest-fuzz run (tests/fuzz/guestfuzz.c):
# 3000 random programs at CPL 0 with random GDT/IDT/page tables must end in
# guest-visible events only.  `make guestfuzz` is the long run under ASan.
set -u
B=${B:-build}
exec "$B/guestfuzz" -n "${GUESTFUZZ_N:-3000}"
