# labs/01-boot/lab.mk - the lab 01 kernel: $(B)/labs/01-boot.elf
$(eval $(call lab_image,01-boot,$(LAB_OBJ)/01-boot/boot.o $(LAB_OBJ)/01-boot/main.o \
	$(SAMPLE_OBJ)/lib/serial32.o $(SAMPLE_LIB_OBJ)))
