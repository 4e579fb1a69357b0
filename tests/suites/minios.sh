#!/usr/bin/env bash
# tests/suites/minios.sh - minios (samples/minios), our own teaching OS,
# booted from its disk image through the firmware path (issue 5).
# QEMU is the oracle, run at test time with OUR BIOS (-bios); vmlab must
# print the same serial transcript, end with the same status and leave
# the same disk image behind (the self-test writes hundreds of sectors).
# Lines starting with "~ " (and the " ~ vga ..." note) name machine
# specifics (disk model, local APIC, tick counts) and are not compared.
#
# Cases:
#   golden        QEMU + our BIOS: status 33, all self-tests passed, the
#                 serial input was executed (the oracle must show the work).
#                 QEMU with our BIOS has no MP table (vmlab builds it), so
#                 this oracle runs minios on the 8259 (virtual wire mode)
#   vmlab-bc-on/off  vmlab, block cache on and off: transcript and status;
#                 vmlab has the MP table, so minios runs in symmetric I/O
#                 mode (LAPIC + I/O APIC), its default (issue 5)
#   vmlab-pic     vmlab, the boot script starting with "pic": the whole run
#                 on the 8259 path, against the same oracle
#   disk-bc-on/off   the disk image afterwards, byte for byte
#   seabios       QEMU's own BIOS boots minios too (it is a real PC OS)
#   smp2-golden   QEMU + SeaBIOS, -smp 2,sockets=2: both CPUs ran the work
#   smp2-vmlab    vmlab --smp 2: the same transcript from the kernel on
#   time-to-shell wall time to the shell prompt, vmlab and QEMU TCG, shown
#                 for --smp 1 and --smp 2
# B and VMLAB come from tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
BIOS=$B/samples/firmware/bios.bin
IMG=$B/samples/minios.img
T=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-minios.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0

for f in "$BIOS" "$IMG" "$VMLAB"; do
	[ -f "$f" ] || { echo "FAIL minios: $f is missing (make all)"; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL minios: qemu-system-x86_64 not found"; exit 1; }

# What the "user" types on COM1 after the boot script.  The first newline
# may be lost: the BIOS switches the UART FIFOs on (which empties them)
# while the host is already sending; the shell ignores empty lines.
printf '\necho typed on COM1\nticks\nexit\n' >"$T/input"

# qemu_disk IMAGE [qemu options] -> serial on stdout, QEMU's status returned
qemu_disk() {
	local img=$1
	shift
	timeout 120 qemu-system-x86_64 -accel tcg -m 128M "$@" \
		-drive "file=$img,format=raw,if=ide,index=0,media=disk" \
		-serial stdio -display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 <"$T/input" 2>"$T/qemu.err"
}

# vm_disk IMAGE [vmlab options] -> serial on stdout, vmlab's status returned
vm_disk() {
	local img=$1
	shift
	VMLAB_BIOS=$BIOS timeout 300 "$VMLAB" run --hda "$img" --timeout 120 "$@" <"$T/input" 2>"$T/vm.err"
}

filter() { sed -e '/^~ /d' -e 's/ ~ vga text memory [a-z]*//' "$1"; }

check() { # NAME STATUS MESSAGE
	if [ "$2" = 0 ]; then echo "PASS minios/$1"; else echo "FAIL minios/$1: $3"; fail=1; fi
}

# ---- golden: QEMU with our BIOS ---------------------------------------------
cp "$IMG" "$T/q.img"
qemu_disk "$T/q.img" -bios "$BIOS" >"$T/q.serial"
qs=$?
filter "$T/q.serial" >"$T/q.txt"
if [ $qs -ne 33 ] || ! grep -q "^selftest: 12 passed, 0 failed" "$T/q.txt" ||
	! grep -q "^typed on COM1" "$T/q.txt" || ! grep -q "^user: the timer ticks in ring 3" "$T/q.txt"; then
	echo "FAIL minios/golden: QEMU status $qs, or the oracle's run did not do the work"
	tail -30 "$T/q.serial"
	exit 1
fi
check golden 0

# ---- vmlab, block cache on and off --------------------------------------------
for bc in on off; do
	opt=()
	[ $bc = off ] && opt=(--no-block-cache)
	cp "$IMG" "$T/v.img"
	vm_disk "$T/v.img" "${opt[@]}" >"$T/v.serial"
	vs=$?
	filter "$T/v.serial" >"$T/v.txt"
	if [ $vs -eq $qs ] && cmp -s "$T/q.txt" "$T/v.txt" &&
		grep -q "^~ interrupts: I/O APIC" "$T/v.serial"; then
		check "vmlab-bc-$bc" 0
	else
		check "vmlab-bc-$bc" 1 "status vmlab $vs, QEMU $qs; serial diff (QEMU <, vmlab >):"
		diff "$T/q.txt" "$T/v.txt" | head -20
		tail -3 "$T/vm.err"
	fi
	cmp -s "$T/q.img" "$T/v.img"
	check "disk-bc-$bc" $? "the disk images differ after the self-test's writes"
done
# The 8259 path in vmlab: "pic" first in the boot script (its echo is the
# only extra line); the self-test still switches to the I/O APIC and back.
cp "$IMG" "$T/p.img"
{ printf '#!minios-script\npic\n'; tail -n +2 samples/minios/script.txt; printf '\0'; } |
	dd of="$T/p.img" bs=512 seek=260 conv=notrunc status=none
vm_disk "$T/p.img" >"$T/p.serial"
ps=$?
filter "$T/p.serial" | sed '/^minios> pic\r\?$/d' >"$T/p.txt"
[ $ps -eq $qs ] && cmp -s "$T/q.txt" "$T/p.txt" && grep -q "^~ interrupts: 8259 PIC" "$T/p.serial"
check vmlab-pic $? "status vmlab $ps, QEMU $qs; diff (QEMU <, vmlab >): $(diff "$T/q.txt" "$T/p.txt" | head -8)"

# The writes really reached the file: LBA 2048 changed (checked outside the guest).
cmp -s <(dd if="$IMG" bs=512 skip=2048 count=256 status=none) \
	<(dd if="$T/v.img" bs=512 skip=2048 count=256 status=none)
[ $? -ne 0 ]
check disk-written $? "the scratch sectors at LBA 2048 are unchanged"

# ---- seabios: QEMU's own firmware (its INT 10h output goes to the screen,
# not COM1, so compare from the kernel's first line on) ----------------------
cp "$IMG" "$T/s.img"
qemu_disk "$T/s.img" >"$T/s.serial"
ss=$?
filter "$T/s.serial" | sed -n '/^minios: 32-bit/,$p' >"$T/s.txt"
sed -n '/^minios: 32-bit/,$p' "$T/q.txt" >"$T/q2.txt"
[ $ss -eq 33 ] && cmp -s "$T/q2.txt" "$T/s.txt" && grep -q "^~ interrupts: I/O APIC" "$T/s.serial"
check seabios $? "status $ss with SeaBIOS; diff (our BIOS <, SeaBIOS >): $(diff "$T/q2.txt" "$T/s.txt" | head -5)"

# ---- smp2: two CPUs.  QEMU with our BIOS has no MP table (vmlab builds
# it), so the oracle is QEMU with SeaBIOS, which lists one MP processor per
# socket (-smp 2,sockets=2).  Compared: the filtered transcripts from the
# kernel's first line ("minios: 32-bit ...") on, and the status; the
# per-CPU "smp:" lines are printed by the BSP in CPU order, so they do not
# depend on how the CPUs interleave.
cp "$IMG" "$T/s2.img"
qemu_disk "$T/s2.img" -smp 2,sockets=2,cores=1,threads=1 >"$T/s2.serial"
s2=$?
filter "$T/s2.serial" | sed -n '/^minios: 32-bit/,$p' >"$T/s2.txt"
cp "$IMG" "$T/v2.img"
vm_disk "$T/v2.img" --smp 2 >"$T/v2.serial"
v2=$?
filter "$T/v2.serial" | sed -n '/^minios: 32-bit/,$p' >"$T/v2.txt"
[ $s2 -eq 33 ] && grep -q "^minios: 2 CPUs online" "$T/s2.txt" && grep -q "^selftest: smp  *\.\.\. ok" "$T/s2.txt" &&
	grep -q "^~ interrupts: I/O APIC" "$T/s2.serial"
check smp2-golden $? "QEMU+SeaBIOS -smp 2: status $s2 or no second CPU"
[ $v2 -eq $s2 ] && cmp -s "$T/s2.txt" "$T/v2.txt"
check smp2-vmlab $? "status vmlab $v2, QEMU $s2; diff (QEMU <, vmlab >): $(diff "$T/s2.txt" "$T/v2.txt" | head -8)"

# ---- time to the shell: a disk whose boot script is just "exit" -------------
cp "$IMG" "$T/t.img"
printf '#!minios-script\nexit\n\0' | dd of="$T/t.img" bs=512 seek=260 conv=notrunc status=none
t0=$(date +%s.%N)
vm_disk "$T/t.img" >"$T/t1.serial"
t1=$(date +%s.%N)
qemu_disk "$T/t.img" -bios "$BIOS" >"$T/t2.serial"
t2=$(date +%s.%N)
vm_disk "$T/t.img" --smp 2 >"$T/t3.serial"
t3=$(date +%s.%N)
qemu_disk "$T/t.img" -smp 2,sockets=2,cores=1,threads=1 >"$T/t4.serial"
t4=$(date +%s.%N)
for f in t1 t2 t3 t4; do grep -q "^minios> exit" "$T/$f.serial" || break; done
grep -q "^minios> exit" "$T/t4.serial"
check time-to-shell $? "the shell did not come up"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" \
	'BEGIN { printf "time to shell (boot to prompt, wall): --smp 1: vmlab %.3f s, QEMU TCG (our BIOS) %.3f s; --smp 2: vmlab %.3f s, QEMU TCG (SeaBIOS) %.3f s\n", b - a, c - b, d - c, e - d }'

exit $fail
