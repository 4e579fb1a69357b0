# `pt` under --virt=trap (issue 8): the guest's walk and the shadow's side
# by side, after samples/ptswitch ran its 3000 steps.  Shown: a window page
# (guest-physical frame = real frame, the shadow PDE points into the VMM's
# pool), the self-mapped page table and directory (traced: read-only in
# the shadow although the guest PTE is writable and dirty), a page the
# guest never touched (hidden fault to come), an unmapped address (true
# fault), and the VMM's own slot.  Oracle: the guest columns are the
# guest's tables (nm samples/ptswitch.elf for pd/pt_win), the shadow's
# frames must equal the guest's.
continue
pt 0x40000000
pt 0x40003000
pt 0xc0100000
pt 0xc0300000
pt 0x00200000
pt 0x80000000
pt 0xff000000
traps
quit
