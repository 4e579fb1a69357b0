#!/usr/bin/env bash
# The CPU against an oracle: a fixed seed, a size that fits `make test`
# (the long run is `make difftest`).
# 64-bit forms: the host CPU.  32-bit forms: the host CPU where it can run
# compatibility-mode code, else QEMU user mode (qemu-i386 running
# $B/difftest-oracle32), with the deviations of QEMU from the SDM listed in
# tests/difftest/qemu32.known.  Exit 77 from the tester means no oracle at
# all: reported as a skip.  Each mode first shows that its oracle can fail:
# with --plant-bug (vmlab's EAX corrupted) the run must report mismatches.
set -u
B=${B:-build}
DT=$B/vmlab-difftest
KNOWN=tests/difftest/qemu32.known

planted() { # planted MODE: the planted bug must be caught (exit 1)
	"$DT" --mode "$1" --form ADD_EvGv --cases 20 --plant-bug --max-report 0 >/dev/null
	local rc=$?
	[ $rc -eq 77 ] && return 0
	[ $rc -eq 1 ] || { echo "FAIL: mode $1: a planted bug went unseen (exit $rc)"; return 1; }
	echo "ok: mode $1: the oracle sees a planted bug"
}

planted 64 || exit 1
out=$("$DT" --seed 1 --cases 200 --mode 64) || { printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | tail -3
# The bar: at least 600 SDM forms in 64-bit mode, 0 mismatches.
forms=$(printf '%s\n' "$out" | sed -n 's/^difftest: \([0-9]*\) forms, .*/\1/p')
[ "${forms:-0}" -ge 600 ] || { echo "FAIL: only ${forms:-0} SDM forms exercised in 64-bit mode (want >= 600)"; exit 1; }
planted 32 || exit 1
"$DT" --seed 1 --cases 50 --mode 32 --known "$KNOWN"
rc=$?
[ $rc -eq 77 ] && { echo "SKIP 32-bit mode: no 32-bit oracle on this host"; exit 0; }
exit $rc
