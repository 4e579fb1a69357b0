# kernel: tour
# Break at a symbol, look around, and check the error messages.
break tour_main
info breakpoints
continue
regs
disas tour_main 4
x/4gx 0x105000
xp/2wx 0x107000
pt tour_main
pt 0x40000000
bt
info symbol 0x1005e2
stpe
x/4gx 0x40000000
break 0x+
