# kernel: tour
# Per-instruction register diffs on the tour's first instructions (compare
# with objdump -d -M intel build/samples/tour.elf), then the command-line
# niceties: suggestions only for near misses, `info symbol`.
trace on regdiff
step 10
trace off regdiff
step
print rax
brek tour_main
info symbol tour_main+3
info-symbol tour_main
help info
history mode
quit
