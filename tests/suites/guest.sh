#!/usr/bin/env bash
# Whole-guest tests: each sample kernel on vmlab (block cache on and off)
# against the serial output and exit status QEMU gave (tests/guest.mk,
# tests/guest/compare.sh).  B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
fail=0
for n in ${GUEST_NAMES:-hello tour}; do
	tests/guest/compare.sh "$n" "$B/samples/$n.elf" "$B/golden" "$VMLAB" || fail=1
done
exit $fail
