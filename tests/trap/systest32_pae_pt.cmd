# `pt` under --virt=trap for a PAE guest (issue 8; SDM Vol 3 §4.4): the
# guest's 3-level walk (PDPTE, PDE, PTE; 8-byte entries) next to the PAE
# shadow's, in samples/systest's PAE section (paging32.c pae()), stopped
# at its last probe: the read of TEST_VA + 0x3000, whose PTE has reserved
# bit 51 set.  Shown: a 4 KiB page never touched since EFER.NXE changed
# (hidden fault to come), the XD page (XD carried into the shadow leaf,
# read-only until written: D emulation), a not-present PTE and the
# reserved-bit PTE (true faults), a user 2 MiB page and the kernel's
# 2 MiB page (guest PDE is the leaf, the shadow splits it into 4 KiB
# PTEs), the guest's own PT inside a 2 MiB page (traced), an absent
# PDPTE, and the VMM's own slot.  Oracle: the xp dumps of the guest's
# PDPT/PD/PT (nm: pdpt, pae_k, pae_u, pae_t) are the entries the guest
# columns must show (checked by hand against SDM §4.4.2, and by trap.sh).
break p_read_at if eax == 0x40403000
continue
vcpu
xp/4gx pdpt
xp/1gx pae_k
xp/3gx pae_u
xp/4gx pae_t
pt 0x40400000
pt 0x40401000
pt 0x40402000
pt 0x40403000
pt 0x40200008
pt 0x00101000
pt pae_t
pt 0x80000000
pt 0xc0000000
pt 0xff000000
quit
