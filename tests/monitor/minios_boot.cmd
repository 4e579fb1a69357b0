# hda: minios
# symbols: minios/kernel.elf
# The boot of minios from the reset vector F000:FFF0 (real mode, the BIOS's
# far jump, 16-bit disassembly) through the boot sector's mode switches to
# the kernel's kmain, then the 32-bit paging it turns on.  The oracles in
# tests/suites/monitor.sh check these lines against bios.bin and nm/objdump.
regs
sregs
step
catch mode
continue
continue
delete 1
break kmain
continue
regs
sregs
disas
bt
gdt
history mode
delete 2
catch cr 0
continue
pt kmain
pt 0xdead0000
delete 3
break ide_read if *(esp+4)*0x100000000/0x100000000 == 260
continue
x/2wx esp
info breakpoints
disk
disk sector 260
irq
vga
quit
