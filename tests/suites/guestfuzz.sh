#!/usr/bin/env bash
# tests/suites/guestfuzz.sh - guests that misbehave must end in guest-visible
# events only (issue 5), never a host crash or a hang:
#   cpu        a short guest-fuzz run (tests/fuzz/guestfuzz.c): 3000 random
#              programs at CPL 0 with random GDT/IDT/page tables; `make
#              guestfuzz` is the long run under ASan;
#   devfuzz    samples/devfuzz: fixed-seed garbage over every device, then
#              the datasheet answers (ATA ERR/ABRT, APIC ESR, ...), status
#              33, on a 64 KiB disk (smaller than the LBAs it asks for);
#   devfuzz-zero  the same on a zero-length disk: sector 0 fails (status 35),
#              but the run ends normally;
#   minios-trunc  a minios image cut to 100000 bytes: the boot sector sees
#              the BIOS's read error and says so;
#   devfuzz-asan  devfuzz again with $ASAN_VMLAB (e.g. build-asan/vmlab
#              after `make asan`) when that is set: no sanitizer report.
# A crash is a status >= 128, a hang is timeout's 124.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-guestfuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0

check() { # NAME STATUS MESSAGE
	if [ "$2" = 0 ]; then echo "PASS guestfuzz/$1"; else echo "FAIL guestfuzz/$1: $3"; fail=1; fi
}

"$B/guestfuzz" -n "${GUESTFUZZ_N:-3000}" >"$T/cpu.out" 2>&1
check cpu $? "$(tail -3 "$T/cpu.out")"

DF=$B/samples/devfuzz.elf
run_df() { # VMLAB DISK -> status
	timeout 120 "$1" run --kernel "$DF" --hda "$2" --timeout 30 </dev/null >"$T/df.out" 2>"$T/df.err"
}
truncate -s 64K "$T/small.img"
run_df "$VMLAB" "$T/small.img"
s=$?
[ $s -eq 33 ] && grep -q "^\[devfuzz\] all checks passed" "$T/df.out"
check devfuzz $? "status $s: $(grep -v ' ok$' "$T/df.out" | tail -4) $(tail -2 "$T/df.err")"

: >"$T/zero.img"
run_df "$VMLAB" "$T/zero.img"
s=$?
[ $s -eq 35 ] && grep -q "^\[devfuzz\] ata: sector 0 still reads  *FAILED" "$T/df.out"
check devfuzz-zero $? "status $s (want 35: the guest saw the error): $(tail -2 "$T/df.err")"

head -c 100000 "$B/samples/minios.img" >"$T/trunc.img"
timeout 120 "$VMLAB" run --hda "$T/trunc.img" --timeout 30 </dev/null >"$T/m.out" 2>"$T/m.err"
s=$?
[ $s -lt 124 ] && grep -q "^minios: disk read error" "$T/m.out"
check minios-trunc $? "status $s: $(tail -2 "$T/m.out") $(tail -2 "$T/m.err")"

if [ -n "${ASAN_VMLAB:-}" ] && [ -x "$ASAN_VMLAB" ]; then
	truncate -s 0 "$T/small.img" && truncate -s 64K "$T/small.img"
	run_df "$ASAN_VMLAB" "$T/small.img"
	s=$?
	[ $s -eq 33 ] && ! grep -q "Sanitizer\|runtime error" "$T/df.err"
	check devfuzz-asan $? "status $s: $(grep -m3 "Sanitizer\|runtime error" "$T/df.err")"
fi
exit $fail
