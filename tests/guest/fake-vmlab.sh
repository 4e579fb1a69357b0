#!/bin/sh
# tests/guest/fake-vmlab.sh - a stand-in for `vmlab run` that runs QEMU
# instead, to test compare.sh itself (make guest-selftest).
#
#   fake-vmlab.sh run --kernel IMAGE [--no-block-cache]
#
# FAKE_BREAK=serial changes one byte of the guest's output and
# FAKE_BREAK=status changes the exit status, so the self-test can check
# that compare.sh notices both (a test that cannot fail is a defect).
set -u
[ "${1:-}" = run ] && [ "${2:-}" = --kernel ] && [ -n "${3:-}" ] || {
	echo "fake-vmlab: usage: fake-vmlab.sh run --kernel IMAGE [--no-block-cache]" >&2
	exit 2
}
here=$(dirname "$0")
case "${FAKE_BREAK:-}" in
serial)
	"$here/qemu.sh" "$3" | sed '3s/./X/'
	exit 33 # the pipeline hides QEMU's status; the samples end with 33
	;;
status)
	"$here/qemu.sh" "$3"
	exit $(($? + 2))
	;;
*)
	exec "$here/qemu.sh" "$3"
	;;
esac
