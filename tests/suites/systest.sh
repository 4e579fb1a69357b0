#!/usr/bin/env bash
# tests/suites/systest.sh - the system-architecture test kernels
# (samples/systest) on vmlab against QEMU's goldens (tests/systest.mk),
# block cache on and off (tests/guest/compare.sh), then the lines QEMU gets
# wrong ("[systest] ~ ...", masked by compare.sh) against the SDM's answers
# in samples/systest/sdm64.expect.  B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
fail=0
for n in systest64 systest32; do
	tests/guest/compare.sh "$n" "$B/samples/$n.elf" "$B/golden" "$VMLAB" || fail=1
	expect=samples/systest/sdm${n#systest}.expect
	got=$(timeout "${GUEST_TIMEOUT:-60}" "$VMLAB" run --kernel "$B/samples/$n.elf" </dev/null 2>/dev/null | tr -d '\r' |
		grep '^\[systest\] ~')
	if [ "$got" = "$(grep -v '^#' "$expect")" ]; then
		echo "PASS systest/$n/sdm"
	else
		echo "FAIL systest/$n/sdm: lines QEMU gets wrong differ from $expect"
		diff <(grep -v '^#' "$expect") <(echo "$got") | sed 's/^/  /'
		fail=1
	fi
done
exit $fail
