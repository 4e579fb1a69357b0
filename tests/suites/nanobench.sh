#!/usr/bin/env bash
# samples/nanobench (issue 8): Adams & Agesen's nanobenchmarks (ASPLOS 2006
# §4.3) bare and under the trap-and-emulate VMM.  Two kinds of check:
#
#  1. Equivalence (Popek & Goldberg): the guest's serial output and exit
#     status are the same under QEMU (the oracle), --virt=none (block cache
#     on and off), --virt=trap and --virt=trap --cpu=pg-strict.
#  2. The cost table (`--stats`, monitor/phase_stats.c) shows per iteration
#     what the architecture and the VMM's design imply -- derived below from
#     the SDM and hypervisor/vmm.h, not copied from vmlab's output:
#       guest instructions: the loop bodies of samples/nanobench/bench.S
#         (a faulting instruction does not retire, SDM Vol 3 §6.5), the same
#         in every mode: the VMM emulates, the guest still executed them;
#       --virt=none: no VMM, every trap column 0;
#       --virt=trap, the guest kernel at real CPL 1, IOPL 0:
#         in          IN at CPL > IOPL: #GP -> 1 io trap, emulated
#         cr0/cr3     MOV CRn at CPL > 0: #GP -> 1 priv trap; the same CR3
#                     finds its cached shadow (hypervisor/shadow_pt.h):
#                     1 spt-hit, no flush, no refill
#         call/ret    innocuous: 0 traps
#         sysenter    the real IA32_SYSENTER_CS is 0 (the guest's is virtual,
#                     hypervisor/vmm_msr.c): SYSENTER from ring 3 is #GP(0)
#                     -> 1 priv trap, emulated into the guest's handler at
#                     ring 1; its SYSEXIT at CPL 1 is #GP(0) -> 1 priv trap.
#                     Not a hole, no reflection.  (Passing the guest's MSR to
#                     the CPU -- the escape of issue 8 -- shows 0 traps here:
#                     the handler would run at real ring 0.)
#         syscall     INT 0x80 from ring 3: 1 int trap and 1 reflection;
#                     the handler's IRET to ring 3 runs natively: 1 hole
#         pagefault   the guest's PTE is not present: 1 true #PF reflected;
#                     the handler's IRET to the RPL-0 frame (ring 0 compressed
#                     to 1: RPL < CPL, #GP) is 1 priv trap
#         divide      #DE reflected (1 fault); IRET as above (1 priv)
#         pte-write   the PTE store hits a traced (write-protected) page
#                     table: 1 trace write performed by the VMM, zapping
#                     1 shadow entry (1 sync); INVLPG at CPL 1: 1 priv trap
#                     (1 invlpg); the next read refills: 1 hidden #PF
#       --cpu=pg-strict: IRET and INT n are sensitive, so they trap as
#         "strict" instead of priv/int, and nothing is a hole.
# B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
IMG=$B/samples/nanobench.elf
N=200
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

run() { # run NAME OPTIONS...: serial in NAME.out, stderr in NAME.err, status in NAME.rc
	local name=$1; shift
	timeout 60 "$VMLAB" run --kernel "$IMG" --append "n=$N" --stats --max-insns 50000000 "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}

run none --virt=none
run none_nb --virt=none --no-block-cache
run trap --virt=trap
run strict --virt=trap --cpu=pg-strict

# 1. Equivalence.
for m in none none_nb trap strict; do
	[ "$(cat "$tmp/$m.rc")" = 1 ] || bad "$m: status $(cat "$tmp/$m.rc"), want 1 (debug-exit 0)"
	grep -q '^nanobench: all passed$' "$tmp/$m.out" || bad "$m: the guest's checks failed"
	[ "$(grep -c '^  ok ' "$tmp/$m.out")" = 10 ] || bad "$m: not 10 checks passed"
	cmp -s "$tmp/none.out" "$tmp/$m.out" || {
		bad "$m: serial output differs from --virt=none"
		diff "$tmp/none.out" "$tmp/$m.out" | head
	}
done
if command -v qemu-system-x86_64 >/dev/null; then
	tests/guest/qemu.sh "$IMG" -append "n=$N" >"$tmp/qemu.out" 2>/dev/null
	rc=$?
	[ $rc = 1 ] || bad "qemu: status $rc, want 1"
	cmp -s "$tmp/qemu.out" "$tmp/none.out" || {
		bad "vmlab --virt=none differs from QEMU"
		diff "$tmp/qemu.out" "$tmp/none.out" | head
	}
fi

# 2. The table.  val MODE PHASE COLUMN: the per-iteration value.
val() {
	awk -v ph="$2" -v col="$3" '
		$2 == "phase" && $3 == "name" { for (i = 4; i <= NF; i++) idx[$i] = i }
		$2 == "phase" && $3 == ph { print (col in idx) ? $(idx[col]) : "no-column"; exit }
	' "$tmp/$1.err"
}
# want MODE PHASE COL=VALUE ...: exact values (integers print as integers).
want() {
	local mode=$1 phase=$2; shift 2
	for kv in "$@"; do
		local got
		got=$(val "$mode" "$phase" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || bad "$mode $phase: ${kv%%=*} = '$got', want ${kv#*=}"
	done
}
TRAPS="priv io strict int fault intr hid-pf true-pf flush invlpg trace-w syncs spt-hit holes reflect vmm-ent"
zero() { # zero MODE PHASE COLS...: every column listed is 0 except those given as COL=V after
	local mode=$1 phase=$2; shift 2
	local c
	for c in $TRAPS; do
		case " $* " in *" $c="*) continue ;; esac
		want "$mode" "$phase" "$c=0"
	done
	for kv in "$@"; do
		[ "${kv#*=}" = ignored ] || want "$mode" "$phase" "$kv"
	done
}

for m in none none_nb trap strict; do
	grep -q "^vmlab: phase syscall  *$N " "$tmp/$m.err" || bad "$m: no phase table (--stats)"
	# Guest instructions per iteration, from bench.S.
	want $m syscall insns=8
	want $m sysenter insns=8
	want $m in insns=3
	want $m cr0-write insns=3
	want $m cr3-write insns=3
	want $m call/ret insns=5
	want $m pagefault insns=6
	want $m divide insns=5
	want $m pte-write insns=6
done
for m in none none_nb; do
	for p in syscall sysenter in cr0-write cr3-write call/ret pagefault divide pte-write; do
		zero $m $p
	done
done
zero trap syscall int=1 holes=1 reflect=1 vmm-ent=1
zero trap sysenter priv=2 vmm-ent=2
zero trap in io=1 vmm-ent=1
zero trap cr0-write priv=1 vmm-ent=1
zero trap call/ret
# The IRET to the RPL-0 frame traps (priv=1) and is emulated: hooks.sensitive
# sees that the native IRET will fault (return RPL 0 < CPL 1) and does not
# count it as a hole as well (issue 8: counted once).
zero trap pagefault fault=1 true-pf=1 priv=1 reflect=1 vmm-ent=2
zero trap divide fault=1 priv=1 reflect=1 vmm-ent=2
zero trap pte-write priv=1 invlpg=1 hid-pf=1 trace-w=1 syncs=1 vmm-ent=3
zero trap cr3-write priv=1 spt-hit=1 vmm-ent=1
zero strict syscall strict=2 reflect=1 vmm-ent=2
zero strict sysenter priv=2 vmm-ent=2
zero strict in io=1 vmm-ent=1
zero strict cr0-write priv=1 vmm-ent=1
zero strict call/ret
zero strict pagefault fault=1 true-pf=1 strict=1 reflect=1 vmm-ent=2
zero strict divide fault=1 strict=1 reflect=1 vmm-ent=2
zero strict pte-write priv=1 invlpg=1 hid-pf=1 trace-w=1 syncs=1 vmm-ent=3
zero strict cr3-write priv=1 spt-hit=1 vmm-ent=1

# The marker port is vmlab's only: without --stats nothing is printed.
"$VMLAB" run --kernel "$IMG" --append "n=3" </dev/null 2>"$tmp/plain.err" >/dev/null
grep -q 'phase' "$tmp/plain.err" && bad "phase table printed without --stats"

[ $fail = 0 ] && echo "nanobench: QEMU = none = trap = pg-strict; per-iteration traps as derived"
exit $fail
