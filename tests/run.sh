#!/usr/bin/env bash
# tests/run.sh - run every test suite of vmlab and summarise.
#
# Called by `make test` after everything is built.  Each suite is one line
# of output (PASS/FAIL name and seconds); a failing suite's output is shown.
# The last line is "N passed, N failed" and the exit status is non-zero on
# any failure.  B is the build directory (default build).
set -u
B=${B:-build}
VMLAB=$B/vmlab
pass=0
fail=0
failed=()
log=$B/test-logs
mkdir -p "$log"

run() { # run NAME CMD...
	local name=$1; shift
	local out="$log/${name//\//_}.log" t0 t1 rc
	t0=$(date +%s.%N)
	"$@" >"$out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS %-40s (%s s)\n' "$name" "$secs"
	else
		fail=$((fail + 1))
		failed+=("$name")
		printf 'FAIL %-40s (%s s, exit %d)\n' "$name" "$secs" "$rc"
		tail -n 40 "$out" | sed 's/^/    | /'
	fi
}

# 1. Unit tests (cmocka), one program per topic.
for t in "$B"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done

# 2. Command-line behaviour (errors, exit statuses).
for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	run "cli/$(basename "$t" .sh)" bash "$t" "$VMLAB"
done

# 3. Suites contributed by fragments (tests/suites/*.sh get B and VMLAB).
for t in tests/suites/*.sh; do
	[ -f "$t" ] || continue
	run "$(basename "$t" .sh)" env B="$B" VMLAB="$VMLAB" bash "$t"
done

echo
if [ $fail -ne 0 ]; then
	echo "failed: ${failed[*]}"
	echo "logs: $log/"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
