# bench/boot/build.mk: the boot benchmark's bare loader and its initramfs (busybox; /init reports its uptime, then reboots).
BENCH_BOOT_DIR := $(BUILD)/bench/boot
BENCH_TARGETS += $(BENCH_BOOT_DIR)/bare-loader $(BENCH_BOOT_DIR)/initramfs.cpio.gz

# The bare loader writes its boot state with the library's own x86_64 code (objects built for libkrun.so).
BARE_OBJS := $(addprefix $(BUILD)/src/,vmm/x86_64/boot.o vmm/x86_64/cpu.o vmm/x86_64/mptable.o vmm/mem.o util/log.o)
$(BENCH_BOOT_DIR)/bare-loader: bench/boot/bare-loader.c $(BARE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< $(BARE_OBJS) -o $@ $(LDFLAGS)

$(BENCH_BOOT_DIR)/initramfs.cpio.gz: bench/boot/init.sh
	@rm -rf $(BENCH_BOOT_DIR)/initramfs
	@mkdir -p $(BENCH_BOOT_DIR)/initramfs/bin $(BENCH_BOOT_DIR)/initramfs/proc $(BENCH_BOOT_DIR)/initramfs/dev
	$(Q)cp /bin/busybox $(BENCH_BOOT_DIR)/initramfs/bin/busybox
	$(Q)for a in sh mount cat echo reboot; do ln -sf busybox $(BENCH_BOOT_DIR)/initramfs/bin/$$a; done
	$(Q)cp bench/boot/init.sh $(BENCH_BOOT_DIR)/initramfs/init
	$(Q)cd $(BENCH_BOOT_DIR)/initramfs && find . | cpio -o -H newc --quiet | gzip -1 > ../initramfs.cpio.gz

# make bench: the peers comparison, the VMM's own cost and the footprint, through the KVM harness (a no-op
# wrapper where KVM boots Linux). The 4 GiB guest of vmm-cost.sh needs a larger nested VM.
bench: bench-boot bench-footprint
# Second expansion: CHECK_TARGETS is complete only once every build.mk (tests/ come after bench/) is read.
.SECONDEXPANSION:
bench-boot: all $$(CHECK_TARGETS) $$(BENCH_TARGETS)
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux tests/harness/with-kvm bench/boot/peers.sh
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux tests/harness/with-kvm bench/boot/host-steps.sh
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux tests/harness/with-kvm bench/boot/net-cost.sh
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux WITH_KVM_MEM=6144 tests/harness/with-kvm bench/boot/vmm-cost.sh
bench-footprint: all $$(CHECK_TARGETS)
	$(Q)tests/harness/with-kvm bench/footprint.sh
.PHONY: bench-boot bench-footprint
