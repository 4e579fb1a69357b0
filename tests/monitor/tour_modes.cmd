# kernel: tour
# Step through the mode switches of the tour, then a watchpoint hit.
catch mode
continue
sregs
continue
step 3
delete 1
watch 0x10bf78 8
continue
x/2gx 0x10bf78
info breakpoints
history mode
