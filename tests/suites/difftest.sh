#!/usr/bin/env bash
# The CPU against the host CPU: a fixed seed, a size that fits `make test`.
# 32-bit forms need a host that can run compatibility-mode code; where it
# cannot (exit 77), the run says so and this suite reports the skip.
set -u
"$B/vmlab-difftest" --seed 1 --cases 200 --mode 64 || exit 1
"$B/vmlab-difftest" --seed 1 --cases 200 --mode 32
rc=$?
[ $rc -eq 77 ] && { echo "SKIP 32-bit mode: no native oracle on this host"; exit 0; }
exit $rc
