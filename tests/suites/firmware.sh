#!/usr/bin/env bash
# tests/suites/firmware.sh - the firmware boot path (issue 5): our BIOS
# (samples/firmware) and the test boot disk (samples/bootsect) on QEMU, the
# oracle, and on vmlab; serial output, exit status and the disk image the
# guest wrote must agree.  Goldens come from QEMU at test time, running OUR
# BIOS with -bios (the command is in qemu_disk below).  B and VMLAB come
# from tests/run.sh.
#
# Cases:
#   boot      the test disk: INT 10h/11h/12h/13h/15h/16h/1Ah results printed
#             by the boot sector; block cache on and off; the disk written
#             through INT 13h AH=43h must be byte-identical afterwards
#   nodisk    no disk at all: the BIOS's "No bootable disk" message
#   nosig     a disk without the 55AAh signature
#   short     a 700-byte image: whatever happens, vmlab must end cleanly
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
BIOS=$B/samples/firmware/bios.bin
IMG=$B/samples/bootsect.img
T=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-fw.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0

for f in "$BIOS" "$IMG"; do
	[ -f "$f" ] || { echo "FAIL firmware: $f is missing (make samples)"; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL firmware: qemu-system-x86_64 not found"; exit 1; }

# qemu_disk SECONDS IMAGE|-  -> serial on stdout, QEMU's status returned.
qemu_disk() {
	local secs=$1 img=$2 drive=()
	[ "$img" != - ] && drive=(-drive "file=$img,format=raw,if=ide,index=0,media=disk")
	timeout "$secs" qemu-system-x86_64 -accel tcg -m 128M -bios "$BIOS" "${drive[@]}" \
		-serial stdio -display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null 2>"$T/qemu.err"
}

# vm_disk IMAGE|- [vmlab options] -> serial on stdout, vmlab's status returned.
vm_disk() {
	local img=$1 disk=()
	shift
	[ "$img" != - ] && disk=(--hda "$img")
	VMLAB_BIOS=$BIOS timeout 120 "$VMLAB" run "${disk[@]}" --timeout 30 "$@" </dev/null 2>"$T/vm.err"
}

check() { # NAME COND-STATUS MESSAGE
	if [ "$2" = 0 ]; then echo "PASS firmware/$1"; else echo "FAIL firmware/$1: $3"; fail=1; fi
}

# ---- boot: the whole test disk, compared with QEMU --------------------------
cp "$IMG" "$T/q.img"
qemu_disk 60 "$T/q.img" >"$T/q.serial"
qs=$?
if [ $qs -ne 33 ]; then
	echo "FAIL firmware/golden: QEMU exited with $qs, not 33"; cat "$T/q.serial" "$T/qemu.err"; exit 1
fi
# The oracle must itself show the work was done (a test that cannot fail is a defect).
grep -q "written by bootsect through int13/43" "$T/q.serial" && grep -q "^bootsect: done" "$T/q.serial" ||
	{ echo "FAIL firmware/golden: QEMU's run did not reach the end"; exit 1; }
for bc in on off; do
	opt=()
	[ $bc = off ] && opt=(--no-block-cache)
	cp "$IMG" "$T/v.img"
	vm_disk "$T/v.img" "${opt[@]}" >"$T/v.serial"
	vs=$?
	if [ $vs -eq $qs ] && cmp -s "$T/q.serial" "$T/v.serial"; then
		check "boot-bc-$bc" 0
	else
		check "boot-bc-$bc" 1 "status vmlab $vs, QEMU $qs; serial diff:"
		diff "$T/q.serial" "$T/v.serial" | head -20; tail -3 "$T/vm.err"
	fi
	cmp -s "$T/q.img" "$T/v.img"
	check "disk-written-bc-$bc" $? "the disk images differ after INT 13h AH=43h"
done
# The write really reached the file, at LBA 3000 (checked outside the guest).
dd if="$T/v.img" bs=512 skip=3000 count=1 status=none | grep -q "written by bootsect"
check disk-file-lba3000 $? "sector 3000 of the image does not hold the written string"

# ---- nodisk / nosig: the BIOS's messages (QEMU waits forever: cut it off) --
truncate -s 1M "$T/zero.img"
for c in nodisk:- nosig:"$T/zero.img"; do
	name=${c%%:*} img=${c#*:}
	qemu_disk 3 "$img" >"$T/q.serial"
	vm_disk "$img" >"$T/v.serial"
	vs=$?
	# vmlab says the guest halted with interrupts off: status 6
	if [ $vs -eq 6 ] && cmp -s "$T/q.serial" "$T/v.serial" && grep -q "No bootable disk" "$T/v.serial"; then
		check "$name" 0
	else
		check "$name" 1 "vmlab status $vs; serial diff:"; diff "$T/q.serial" "$T/v.serial" | head; tail -3 "$T/vm.err"
	fi
done

# ---- short: a truncated image must not hurt vmlab ---------------------------
head -c 700 "$IMG" >"$T/short.img"
vm_disk "$T/short.img" >"$T/v.serial"
vs=$?
[ $vs -lt 128 ] && [ $vs -ne 8 ] && [ $vs -ne 124 ]
check short $? "vmlab ended with status $vs on a 700-byte disk"

exit $fail
