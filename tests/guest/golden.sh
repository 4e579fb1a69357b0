#!/bin/sh
# tests/guest/golden.sh - make the golden output of one sample guest with QEMU.
#
#   usage: tests/guest/golden.sh NAME IMAGE.elf OUTDIR
#
# Writes OUTDIR/NAME.serial (the guest's serial output, byte for byte) and
# OUTDIR/NAME.status (QEMU's exit status).  Goldens come from QEMU at test
# time, never from vmlab.  The QEMU command line is in tests/guest/qemu.sh.
# Both files are written to temporaries and renamed, so an interrupted run
# never leaves a half golden behind.  A run that did not end through the
# debug-exit port (an even status: 0 = triple fault, 124 = timeout) is not
# a golden: we fail and show why.
set -u
name=${1:?usage: golden.sh NAME IMAGE OUTDIR}
img=${2:?usage: golden.sh NAME IMAGE OUTDIR}
out=${3:?usage: golden.sh NAME IMAGE OUTDIR}
here=$(dirname "$0")

command -v qemu-system-x86_64 >/dev/null 2>&1 || {
	echo "golden.sh: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2
	exit 1
}
mkdir -p "$out" || exit 1
tmp="$out/.$name.$$"
"$here/qemu.sh" "$img" >"$tmp.serial" 2>"$tmp.err"
status=$?
if [ $((status % 2)) -ne 1 ]; then
	echo "golden.sh: $name: QEMU exited with status $status, not through debug-exit" >&2
	[ "$status" -eq 124 ] && echo "golden.sh: $name: (timed out)" >&2
	tail -n 5 "$tmp.serial" "$tmp.err" >&2
	rm -f "$tmp.serial" "$tmp.err"
	exit 1
fi
echo "$status" >"$tmp.status"
sync "$tmp.status" "$tmp.serial" 2>/dev/null
mv -f "$tmp.status" "$out/$name.status" && mv -f "$tmp.serial" "$out/$name.serial"
rc=$?
rm -f "$tmp.err"
exit $rc
