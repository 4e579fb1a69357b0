# kernel: tour
# Long-mode inspection on the tour: MSR catchpoints (rdmsr/wrmsr of EFER),
# linear and physical breakpoints, descriptor tables, the 4-level walk,
# watchpoints by virtual and physical range (read, access), an exception
# vector catchpoint, stats.  Oracles in tests/suites/monitor.sh check the
# catch and watch addresses and the GDT against objdump.
catch msr 0xc0000080
continue
continue
msr 0xc0000080
delete 1
lbreak tour_main
continue
gdt
ldt
tss
xp/1gx boot_pml4
pt tour_main
disable 2
pbreak trap_dispatch
continue
bt
delete 3
idt
rwatch expect_vector 8
continue
delete 4
prwatch at_rip 8
continue
delete 5
pawatch resume_rip 8
continue
delete 6
awatch expect_vector 8
continue
delete 7
catch vector 14
continue
x/3i rip
info breakpoints
stats
quit
