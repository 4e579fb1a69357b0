#!/usr/bin/env bash
# Monitor transcript tests (tests/monitor/*.cmd): each script runs in batch
# mode (-x) against the sample kernel named on its "# kernel: NAME" line,
# serial output off; stdout plus a final "[exit N]" line must equal
# NAME.expected.  Then the real readline path: the interactive prompt in a
# pseudo-terminal (script -qc), typing a few commands.
# B and VMLAB come from tests/run.sh.  UPDATE=1 rewrites the .expected
# files (then review every line against nm/objdump before keeping them).
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
VMLAB=$(cd "$(dirname "$VMLAB")" && pwd)/$(basename "$VMLAB")
top=$PWD
# The kernel path reaches the guest (on the multiboot command line), so it
# is always spelled build/samples/NAME.elf, whatever B is: run from a
# folder whose build/ is B.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
ln -s "$(cd "$B" && pwd)" "$tree/build"
ln -s "$top/tests" "$tree/tests"
fail=0
for cmd in tests/monitor/*.cmd; do
	name=${cmd%.cmd}
	kernel=$(sed -n 's/^# kernel: *//p' "$cmd" | head -1)
	out=$(mktemp)
	(cd "$tree" && "$VMLAB" run --kernel "build/samples/$kernel.elf" --serial none \
		-x "$cmd") >"$out" 2>&1
	echo "[exit $?]" >>"$out"
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$out" "$name.expected"
	elif ! diff -u "$name.expected" "$out"; then
		echo "FAIL monitor/$(basename "$name")"
		fail=1
	else
		echo "PASS monitor/$(basename "$name")"
	fi
	rm -f "$out"
done

# The interactive console under a pseudo-terminal: readline's prompt, a
# command, a breakpoint, continue, quit.
if command -v script >/dev/null; then
	out=$(mktemp)
	printf 'break tour_main\ncontinue\ninfo symbol rip\nquit\n' |
		timeout 30 script -qec "$VMLAB run --kernel $B/samples/tour.elf --serial none --monitor" /dev/null >"$out" 2>&1
	rc=$?
	# readline's bracketed-paste switches and CRs are not ours to check
	tr -d '\r' <"$out" | sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g' >"$out.txt"
	if grep -q '^(vmlab) ' "$out.txt" && grep -q 'breakpoint 1 at 0x1005e0 <tour_main>' "$out.txt" &&
		grep -q '0x1005e0 is tour_main' "$out.txt" && [ $rc -eq 0 ]; then
		echo "PASS monitor/pty"
	else
		echo "FAIL monitor/pty (exit $rc)"
		cat "$out.txt"
		fail=1
	fi
	rm -f "$out" "$out.txt"
else
	echo "SKIP monitor/pty (no script(1))"
fi
exit $fail
