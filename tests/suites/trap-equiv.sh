#!/usr/bin/env bash
# tests/suites/trap-equiv.sh - equivalence under trap-and-emulate (issue 8,
# hypervisor/vmm.h): every guest test of the system and platform issues
# (tests/suites/guest.sh, systest.sh, smp.sh, firmware.sh, minios.sh, trap.sh)
# runs under --virt=trap --cpu=pg-strict and must give what --virt=none
# gives, byte for byte: the serial output, the exit status and, for disk
# guests, the disk image afterwards.  Popek & Goldberg: on a machine where
# every sensitive instruction traps (pg-strict), a VMM is equivalent.
# (--virt=none itself is checked against QEMU by the suites named above.)
#
# A guest the VMM cannot run must be REFUSED with a one-line message and is
# listed "NOT COVERED" with the reason, never passed:
#   - long mode: the VMM stops the guest at its WRMSR of EFER.LME; the
#     serial output up to that point must still be a prefix of the
#     --virt=none output (how far the 64-bit guest got, in lines);
#   - smp (samples/smp, --smp 2) is a 64-bit kernel: refused at EFER.LME
#     like systest64 (the VMM runs 32-bit guests; SMP itself is virtualized:
#     one world per CPU, hypervisor/vmm_smp.c); minios-smp2 must pass,
#     and more: every interrupt, exception and port access of both CPUs
#     at the same retired instruction as under --virt=none (virtual time
#     exact: tests/trap/bisect.sh, hypervisor/vm.c run_slice).
# A refusal ends the run with status 10 (README) and no shutdown message.
# systest32 PASSES (issue 8): expand-down segments reaching the VMM's area
# (vmm_edseg.c), guest rings 1-2, call gates (vmm_gate.c), CR0.WP = 0 under
# shadows (a kernel write maps the page writable but supervisor-only:
# vmm_paging.c), PAE paging with 2 MiB pages and NX through PAE shadows
# (shadow_pae.c), SMEP/SMAP/STAC/CLAC and virtual-8086 mode (vmm_v86.c,
# vmm_emul.c) all give what --virt=none gives, 205 of 205 lines.  Task
# switches: the guest uses none (a far transfer to a TSS/task gate is
# refused).
# Prints PASS/FAIL/NOT COVERED lines and the VMM's work for minios (VMM
# entries per 1000 guest instructions, wall time under the three modes).
# B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
BIOS=$B/samples/firmware/bios.bin
T=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-trapeq.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
notcov=0

# What the "user" types on COM1 (as tests/suites/minios.sh does).
printf '\necho typed on COM1\nticks\nexit\n' >"$T/input"

# run TAG KIND IMAGE [options]: stdout in $T/TAG.out, stderr in TAG.err,
# status in TAG.rc, the disk afterwards in TAG.img (KIND disk).
run() {
	local tag=$1 kind=$2 img=$3 t0
	shift 3
	t0=$(date +%s.%N)
	if [ "$kind" = disk ]; then
		cp "$img" "$T/$tag.img"
		VMLAB_BIOS=$BIOS timeout 300 "$VMLAB" run --hda "$T/$tag.img" --timeout 120 "$@" \
			<"$T/input" >"$T/$tag.out" 2>"$T/$tag.err"
	else
		timeout 120 "$VMLAB" run --kernel "$img" --max-insns 400000000 "$@" \
			</dev/null >"$T/$tag.out" 2>"$T/$tag.err"
	fi
	echo $? >"$T/$tag.rc"
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }' >"$T/$tag.wall"
}

# equiv NAME KIND IMAGE [options]
equiv() {
	local name=$1 kind=$2 img=$3 n s
	shift 3
	if [ ! -f "$img" ]; then
		echo "FAIL trap-equiv/$name: $img is missing (make all)"
		fail=1
		return
	fi
	run "$name.none" "$kind" "$img" --virt=none "$@"
	run "$name.trap" "$kind" "$img" --virt=trap --cpu=pg-strict --stats "$@"
	n=$(cat "$T/$name.none.rc")
	s=$(cat "$T/$name.trap.rc")
	case $n in 2 | 6 | 8 | 124 | 134 | 139)
		echo "FAIL trap-equiv/$name: --virt=none itself failed (status $n): $(head -1 "$T/$name.none.err")"
		fail=1
		return
		;;
	esac
	local refusal
	refusal=$(grep -m1 -E '^vmlab: vmm: (guest |pg-strict: )' "$T/$name.trap.err")
	if [ -n "$refusal" ]; then
		# Refused at a feature the VMM does not virtualize (long mode,
		# guest ring 1/2, gates, PAE, real mode again ...): one line, and
		# what came before it is the bare-metal output.
		local lines
		lines=$(wc -l <"$T/$name.trap.out")
		# A refusal is its own stop reason (hypervisor/vm.c): status 10,
		# one line, and no shutdown/triple-fault message after it.
		if [ "$s" != 10 ] || grep -q 'triple-faulted' "$T/$name.trap.err"; then
			echo "FAIL trap-equiv/$name: refusal ended with status $s, want 10 and no shutdown message:"
			head -3 "$T/$name.trap.err"
			fail=1
			return
		fi
		if head -c "$(stat -c %s "$T/$name.trap.out")" "$T/$name.none.out" | cmp -s - "$T/$name.trap.out"; then
			echo "NOT COVERED trap-equiv/$name: refused after $lines of" \
				"$(wc -l <"$T/$name.none.out") serial lines identical to --virt=none: ${refusal#vmlab: vmm: }"
			notcov=$((notcov + 1))
		else
			echo "FAIL trap-equiv/$name: output before the refusal differs (${refusal#vmlab: vmm: })"
			diff "$T/$name.none.out" "$T/$name.trap.out" | head -5
			fail=1
		fi
		return
	fi
	if [ "$s" = 2 ] && grep -q 'one vCPU only' "$T/$name.trap.err"; then
		echo "NOT COVERED trap-equiv/$name: SMP guest ($*), refused: $(head -1 "$T/$name.trap.err")"
		notcov=$((notcov + 1))
		return
	fi
	if [ "$s" != "$n" ] || ! cmp -s "$T/$name.none.out" "$T/$name.trap.out"; then
		echo "FAIL trap-equiv/$name: status none $n, trap $s; serial diff (none <, trap >):"
		diff "$T/$name.none.out" "$T/$name.trap.out" | head -8
		grep -v '^vmm:  \|^vmlab: stats' "$T/$name.trap.err" | head -3
		fail=1
		return
	fi
	if [ "$kind" = disk ] && ! cmp -s "$T/$name.none.img" "$T/$name.trap.img"; then
		echo "FAIL trap-equiv/$name: the disk images differ afterwards"
		fail=1
		return
	fi
	# The VMM really ran the guest.  A guest that never leaves real mode
	# runs at --virt=none semantics (vmm.h: the VMM takes over at CR0.PE):
	# identical, but not the VMM's merit.
	if grep -q '^vmm: traps priv=0 io=0 strict=0 int=0 fault=0 intr=0 ' "$T/$name.trap.err"; then
		echo "NOT COVERED trap-equiv/$name: identical, but real mode only (never set CR0.PE:" \
			"the VMM never took over)"
		notcov=$((notcov + 1))
		return
	fi
	if ! grep -q '^vmm: traps .*strict=[1-9]' "$T/$name.trap.err"; then
		echo "FAIL trap-equiv/$name: identical, but the VMM emulated nothing"
		fail=1
		return
	fi
	echo "PASS trap-equiv/$name (status $s, $(wc -l <"$T/$name.none.out") lines)"
	pass=$((pass + 1))
}

# ---- the guests: multiboot kernels, then disks through our BIOS ----------
equiv hello elf "$B/samples/hello.elf"
equiv tour elf "$B/samples/tour.elf"
equiv systest32 elf "$B/samples/systest32.elf"
equiv systest64 elf "$B/samples/systest64.elf"
equiv smp elf "$B/samples/smp.elf" --smp 2
equiv vprobe elf "$B/samples/vprobe.elf"
equiv trap32 elf "$B/samples/trap32.elf"
equiv bootsect disk "$B/samples/bootsect.img"
equiv minios disk "$B/samples/minios.img"
equiv minios-smp2 disk "$B/samples/minios.img" --smp 2
# Virtual time, not only the output (issue 8): the same deliveries and port
# accesses at the same instruction on the same CPU, console input included
# (the `~ ticks` line once drifted: the VMM's entries ended CPU slices early).
if [ -f "$B/samples/minios.img" ]; then
	if bis=$(B=$B VMLAB=$VMLAB bash "$(dirname "$0")/../trap/bisect.sh" --smp 2 \
		--input "$T/input" --hda "$B/samples/minios.img" 2>&1); then
		echo "PASS trap-equiv/minios-smp2-vtime: $(echo "$bis" | sed -n 's/^trap  status [0-9]*, //p')," \
			"identical to --virt=none"
		pass=$((pass + 1))
	else
		echo "FAIL trap-equiv/minios-smp2-vtime: virtual time differs from --virt=none (tests/trap/bisect.sh):"
		echo "$bis" | head -14
		fail=1
	fi
fi

# ---- minios: the VMM's cost, and plain --virt=trap ------------------------
# The three modes' wall time, and VMM entries per 1000 guest instructions
# (each a world switch on real hardware).
if [ -f "$T/minios.trap.err" ]; then
	# Plain --virt=trap: the guest falls into the IRET hole (its ring-3
	# timer test waits forever for a tick that IF=0 never lets in); the
	# run must end with a hole report naming IRET.
	run m.trap disk "$B/samples/minios.img" --virt=trap --stats --max-insns 60000000
	guest=$(sed -n 's/^vmlab: stats: \([0-9]*\) instructions.*/\1/p' "$T/minios.trap.err")
	entries=$(sed -n 's/^vmm: traps \(.*\) holes=.*/\1/p' "$T/minios.trap.err" |
		tr ' ' '\n' | awk -F= '{ s += $2 } END { print s }')
	hidden=$(sed -n 's/.*hidden-faults=\([0-9]*\).*/\1/p' "$T/minios.trap.err")
	awk -v a="$(cat "$T/minios.none.wall")" -v b="$(cat "$T/minios.trap.wall")" -v c="$(cat "$T/m.trap.wall")" \
		-v g="${guest:-0}" -v e="${entries:-0}" -v h="${hidden:-0}" \
		'BEGIN { printf "minios wall time: --virt=none %.2f s, --virt=trap --cpu=pg-strict %.2f s, --virt=trap (to the hole, 60M insns) %.2f s; VMM entries %d for %d guest instructions: %.1f per 1000\n", a, b, c, e + h, g, g ? 1000 * (e + h) / g : 0 }'
	if grep -q '^vmlab: vmm: hole IRET (control-sensitive) first at eip=0x' "$T/m.trap.err"; then
		echo "PASS trap-equiv/minios-plain-trap: $(grep -c '^vmlab: vmm: hole' "$T/m.trap.err") hole reports, IRET among them"
		pass=$((pass + 1))
	elif [ "$(cat "$T/m.trap.rc")" = "$(cat "$T/minios.none.rc")" ] && cmp -s "$T/minios.none.out" "$T/m.trap.out"; then
		echo "PASS trap-equiv/minios-plain-trap: passes even without pg-strict"
		pass=$((pass + 1))
	else
		echo "FAIL trap-equiv/minios-plain-trap: neither equivalent nor a hole report naming IRET"
		tail -3 "$T/m.trap.err"
		fail=1
	fi
fi

echo "trap-equiv: $pass passed, $notcov not covered (listed above), failures: $fail"
exit $fail
