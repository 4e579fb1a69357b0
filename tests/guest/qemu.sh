#!/bin/sh
# tests/guest/qemu.sh - run one sample kernel under QEMU, the oracle of the
# whole-guest tests.  Serial output (COM1) goes to stdout, QEMU's own
# messages to stderr; the exit status is QEMU's.
#
#   usage: tests/guest/qemu.sh IMAGE.elf [extra qemu options]
#
# The command line, option by option:
#   qemu-system-x86_64
#     -accel tcg        pure emulation: the same result on every host, KVM or not
#     -m 128M           guest RAM (QEMU's default, written out; vmlab's default
#                       must agree, since the samples print the multiboot memory size)
#     -kernel IMAGE     QEMU's built-in multiboot v1 loader (the image must be ELF32)
#     -device isa-debug-exit,iobase=0xf4,iosize=4
#                       a write of v to port 0xF4 ends QEMU with status (v << 1) | 1
#     -serial stdio     COM1 <-> our stdout
#     -display none     no window
#     -nodefaults       no default VGA, NIC, floppy, CD-ROM, parallel port
#     -no-reboot        a triple fault ends QEMU (status 0) instead of rebooting
# Checked with QEMU 7.2: SeaBIOS and the multiboot option ROM print nothing on
# COM1, so the serial output is exactly what the guest wrote.  stdin is
# /dev/null so that -serial stdio never touches a terminal.
set -u
img=${1:?usage: qemu.sh IMAGE.elf [qemu options]}
shift
exec timeout "${GUEST_TIMEOUT:-60}" qemu-system-x86_64 -accel tcg -m 128M -kernel "$img" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio -display none -nodefaults \
	-no-reboot "$@" </dev/null
