# kernel: hello
# next over a call, a conditional breakpoint, finish out of a leaf
# function (return address at [rsp]), until.
break sample_main+0xa
continue
next
tbreak work_crc32 if rsi == 9
continue
regs
finish
info breakpoints
until guest_exit
x/3i rip
quit
