# kernel: systest32
# PAE paging in 32-bit protected mode (SDM Vol 3 §4.4): systest32's PAE
# section, stopped where it sets EFER.NXE.  The walks go PDPTE -> PDE
# (2 MiB page) or PDPTE -> PDE -> PTE (4 KiB page, one with NX), and one
# unmapped address ends in the #PF it would raise.  The oracle in
# tests/suites/monitor.sh checks every table address against nm.
catch msr 0xc0000080
continue
continue
msr 0xc0000080
sregs
pt 0x40400000
pt 0x40401000
pt 0x40800000
pt 0x100000
ldt
tss
quit
