#!/bin/sh
# tests/guest/compare.sh - run one sample guest on vmlab and compare it with
# the golden output QEMU produced (tests/guest/golden.sh).
#
#   usage: tests/guest/compare.sh NAME IMAGE.elf GOLDEN_DIR VMLAB
#
# vmlab runs twice, once as-is and once with --no-block-cache (the
# one-instruction-at-a-time interpreter, the reference path):
#
#   VMLAB run --kernel IMAGE.elf                    $VMLAB_ARGS
#   VMLAB run --kernel IMAGE.elf --no-block-cache   $VMLAB_ARGS
#
# with stdin from /dev/null; vmlab's stdout must be the guest's COM1 output
# and nothing else (vmlab's own messages go to stderr).  The goldens came
# from this QEMU command (see tests/guest/qemu.sh):
#
#   qemu-system-x86_64 -accel tcg -m 128M -kernel IMAGE.elf \
#       -device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio \
#       -display none -nodefaults -no-reboot
#
# The serial output must match byte for byte and the exit status exactly,
# with one documented exception: a line "[name] ~ ..." shows a value that
# differs between correct machines (CPUID vendor, the raw CR0 a loader left
# ...), so its text after the "~" is masked on both sides.
#
# Prints "PASS guest/NAME" and "PASS guest/NAME/no-block-cache", or FAIL
# with a diff; exits 0 only if both passed.  GUEST_TIMEOUT (seconds,
# default 60) bounds each run.
set -u
name=${1:?usage: compare.sh NAME IMAGE GOLDEN_DIR VMLAB}
img=${2:?usage: compare.sh NAME IMAGE GOLDEN_DIR VMLAB}
gold=${3:?usage: compare.sh NAME IMAGE GOLDEN_DIR VMLAB}
vmlab=${4:?usage: compare.sh NAME IMAGE GOLDEN_DIR VMLAB}

if [ ! -f "$gold/$name.serial" ] || [ ! -f "$gold/$name.status" ]; then
	echo "FAIL guest/$name: no golden in $gold (run: make guest-goldens)"
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-guest.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Mask machine-specific lines: "[tour] ~ vendor ..." -> "[tour] ~ (masked)".
mask() {
	sed -E 's/^(\[[A-Za-z0-9_-]+\] ~).*$/\1 (masked)/' "$1"
}
mask "$gold/$name.serial" >"$work/golden.serial"
want=$(cat "$gold/$name.status")

failed=0
for mode in default no-block-cache; do
	label="guest/$name"
	flags=""
	if [ "$mode" = no-block-cache ]; then
		label="guest/$name/no-block-cache"
		flags="--no-block-cache"
	fi
	# shellcheck disable=SC2086 # flags and VMLAB_ARGS are word lists
	timeout "${GUEST_TIMEOUT:-60}" "$vmlab" run --kernel "$img" $flags ${VMLAB_ARGS:-} \
		</dev/null >"$work/$mode.raw" 2>"$work/$mode.err"
	got=$?
	mask "$work/$mode.raw" >"$work/$mode.serial"
	if cmp -s "$work/golden.serial" "$work/$mode.serial" && [ "$got" = "$want" ]; then
		echo "PASS $label"
		continue
	fi
	failed=1
	echo "FAIL $label"
	[ "$got" = "$want" ] || echo "  exit status: vmlab $got, QEMU $want$([ "$got" = 124 ] && echo ' (vmlab timed out)')"
	if ! cmp -s "$work/golden.serial" "$work/$mode.serial"; then
		echo "  serial output differs (--- QEMU, +++ vmlab; CR shown as ^M):"
		diff -u --label "qemu/$name.serial" --label "vmlab/$name.serial" \
			"$work/golden.serial" "$work/$mode.serial" | sed -n '1,60p' | cat -v | sed 's/^/  /'
	fi
	if [ -s "$work/$mode.err" ]; then
		echo "  vmlab stderr (last lines):"
		tail -n 10 "$work/$mode.err" | sed 's/^/  /'
	fi
done
exit $failed
