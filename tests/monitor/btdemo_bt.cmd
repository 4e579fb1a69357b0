# kernel: btdemo
# bt against the call chain samples/btdemo/main.c builds: sample_main ->
# bt_outer -> bt_middle -> bt_leaf.  Return addresses: objdump -d
# build/samples/btdemo.elf64 (the instruction after each call).
break bt_leaf
continue
bt
step
bt
step 3
bt
finish
bt
