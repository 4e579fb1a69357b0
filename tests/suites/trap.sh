#!/usr/bin/env bash
# Trap-and-emulate (hypervisor/vmm.h, issue 8): samples/vprobe probes the x86
# virtualization holes from its kernel.  Oracles: QEMU (bare metal, TCG) for
# the serial output; Popek & Goldberg for the verdicts:
#   --virt=none                    bare metal       guest exit 0 (vmlab 1)
#   --virt=trap                    VMM detected     guest exit 1 (vmlab 3),
#                                  and a `hole` event for each instruction it used
#   --virt=trap --cpu=pg-strict    cannot tell      identical to --virt=none
# B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
IMG=$B/samples/vprobe.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

run() { # run NAME OPTIONS...: serial in $tmp/NAME.out, stderr in NAME.err, status in NAME.rc
	local name=$1; shift
	timeout 60 "$VMLAB" run --kernel "$IMG" --max-insns 10000000 "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

run none --virt=none
run none_nb --virt=none --no-block-cache
run trap --virt=trap --trace=hole,trap --trace-file "$tmp/trap.trace"
run strict --virt=trap --cpu=pg-strict --stats

[ "$(cat "$tmp/none.rc")" = 1 ] || bad "--virt=none: status $(cat "$tmp/none.rc"), want 1"
grep -q '^vprobe: bare metal$' "$tmp/none.out" || bad "--virt=none: not bare metal"
cmp -s "$tmp/none.out" "$tmp/none_nb.out" || bad "--virt=none: block cache changes the output"

[ "$(cat "$tmp/trap.rc")" = 3 ] || bad "--virt=trap: status $(cat "$tmp/trap.rc"), want 3"
grep -q '^vprobe: VMM detected' "$tmp/trap.out" || bad "--virt=trap: VMM not detected"
for form in SGDT_Ms SIDT_Ms STR_Ev MOV_EvSw PUSH_CS PUSHF_Fv POPF_Fv LAR_GvEw LSL_GvEw; do
	grep -q "hole .*($form " "$tmp/trap.trace" || bad "--virt=trap: no hole event for $form"
done
grep -q 'trap .*(LGDT_Ms)' "$tmp/trap.trace" || bad "--virt=trap: LGDT did not trap"
grep -q 'trap .*(OUT_DXAL)' "$tmp/trap.trace" || bad "--virt=trap: OUT did not trap"

[ "$(cat "$tmp/strict.rc")" = 1 ] || bad "pg-strict: status $(cat "$tmp/strict.rc"), want 1"
cmp -s "$tmp/none.out" "$tmp/strict.out" || {
	bad "pg-strict: output differs from --virt=none"
	diff "$tmp/none.out" "$tmp/strict.out" | head
}
grep -q '^vmm: traps .*strict=[1-9]' "$tmp/strict.err" || bad "pg-strict: --stats shows no strict traps"
grep -q 'emulated SGDT_Ms' "$tmp/strict.err" || bad "pg-strict: SGDT not emulated"

# Options are checked.
"$VMLAB" run --kernel "$IMG" --virt=bogus >/dev/null 2>"$tmp/bogus.err"
[ $? = 2 ] && grep -q 'expected none or trap' "$tmp/bogus.err" || bad "--virt=bogus not rejected"
"$VMLAB" run --kernel "$IMG" --cpu=bogus >/dev/null 2>&1
[ $? = 2 ] || bad "--cpu=bogus not rejected"

# The oracle for bare metal: QEMU prints the same report and exits the same.
if command -v qemu-system-x86_64 >/dev/null; then
	tests/guest/qemu.sh "$IMG" >"$tmp/qemu.out" 2>/dev/null
	rc=$?
	[ $rc = 1 ] || bad "qemu: status $rc, want 1"
	cmp -s "$tmp/qemu.out" "$tmp/none.out" || {
		bad "vmlab --virt=none differs from QEMU"
		diff "$tmp/qemu.out" "$tmp/none.out" | head
	}
fi
[ $fail = 0 ] && echo "trap: vprobe none/trap/pg-strict OK"
exit $fail
