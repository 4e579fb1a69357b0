#!/usr/bin/env bash
# tests/suites/smp.sh - the SMP test kernel (samples/smp: MP tables, local
# APIC timer, INIT-SIPI-SIPI, IPIs, I/O APIC routing) on vmlab --smp 2
# against QEMU -smp 2, block cache on and off (tests/guest/compare.sh).
#
# QEMU runs here, not from a make rule: its golden needs two CPUs in two
# sockets (SeaBIOS writes one MP processor entry per package, so QEMU's
# default "-smp 2" = one socket with two cores would list a single CPU).
# The kernel's output is order-independent by construction (each CPU
# records into memory, the BSP prints in APIC ID order), so one QEMU run
# is a valid golden even though QEMU interleaves the CPUs at random.
# B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
img=$B/samples/smp.elf
if [ ! -f "$img" ]; then
	echo "FAIL smp: $img is missing (make B=$B samples)"
	exit 1
fi
gold=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-smp.XXXXXX") || exit 1
trap 'rm -rf "$gold"' EXIT
tests/guest/qemu.sh "$img" -smp 2,sockets=2,cores=1,threads=1 >"$gold/smp.serial" 2>"$gold/err"
st=$?
if [ $((st % 2)) -ne 1 ]; then
	echo "FAIL smp: QEMU exited with status $st, not through debug-exit"
	tail -n 5 "$gold/smp.serial" "$gold/err"
	exit 1
fi
echo "$st" >"$gold/smp.status"
VMLAB_ARGS="--smp 2" tests/guest/compare.sh smp "$img" "$gold" "$VMLAB"
