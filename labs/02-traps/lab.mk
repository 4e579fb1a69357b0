# labs/02-traps/lab.mk - the lab 02 kernel: $(B)/labs/02-traps.elf
# (booted by samples/lib/start32.S; its own trap stubs, not samples/lib/trap*)
$(eval $(call lab_image,02-traps,$(SAMPLE_OBJ)/lib/start32.o \
	$(addprefix $(LAB_OBJ)/02-traps/,main.o idt.o pic.o traps.o user.o stubs.o) \
	$(addprefix $(SAMPLE_OBJ)/lib/,boot_data.o serial.o printf.o string.o exit.o)))
