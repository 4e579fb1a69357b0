/*
 * vmm_rig.h - a minimal machine for the VMM's unit tests: 1 MiB of guest
 * RAM at 0, the VMM's reserved area at VMM_AREA_BASE (host RAM right
 * after the guest's, as vm_create lays it out), one CPU in protected mode
 * and a struct vmm wired to them, with paging on in the guest's virtual
 * CR0.  Included by test_shadow_pt.c and test_shadow_pae.c (cmocka
 * set-up/tear-down functions; each test sets v.cr3/v.cr4 itself).
 */
#ifndef VMLAB_TESTS_UNIT_VMM_RIG_H
#define VMLAB_TESTS_UNIT_VMM_RIG_H

#include <string.h>

#include "cpu/cpu.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

#define GMEM (1024 * 1024)

static struct vm_config cfg = {.mem_size = GMEM};
static struct vm vm;
static struct cpu cpu;
static struct vmm m;
static u64 retired;

static void rig_init(void)
{
	struct err e = {""};

	memset(&vm, 0, sizeof(vm));
	memset(&m, 0, sizeof(m));
	assert_int_equal(board_init(&vm.board, GMEM + VMM_AREA_SIZE, &vm.trace, &e), 0);
	assert_int_equal(bus_map_ram(&vm.board.bus, 0, GMEM, 0, &e), 0);
	assert_int_equal(bus_map_ram(&vm.board.bus, VMM_AREA_BASE, VMM_AREA_SIZE, GMEM, &e), 0);
	cpu_init(&cpu, 0, &vm.board.bus, &vm.trace, &retired);
	cpu.cr0 = CR0_PE;
	vm.cfg = &cfg;
	vm.cpus = &cpu;
	vm.ncpus = 1;
	vm.vmm = &m;
	m.vm = &vm;
	m.area = vm.board.bus.ram + GMEM;
	m.v.cr0 = CR0_PE | CR0_PG | CR0_WP;
}

static int teardown(void **state)
{
	(void)state;
	vmm_spt_free(&m);
	cpu_fini(&cpu);
	board_destroy(&vm.board);
	return 0;
}

#endif
