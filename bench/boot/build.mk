# bench/boot/build.mk: the boot benchmark's bare loader and its initramfs (busybox; /init reports its uptime, then reboots).
BENCH_BOOT_DIR := $(BUILD)/bench/boot
BENCH_TARGETS += $(BENCH_BOOT_DIR)/bare-loader $(BENCH_BOOT_DIR)/initramfs.cpio.gz

$(BENCH_BOOT_DIR)/bare-loader: bench/boot/bare-loader.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@

$(BENCH_BOOT_DIR)/initramfs.cpio.gz: bench/boot/init.sh
	@rm -rf $(BENCH_BOOT_DIR)/initramfs
	@mkdir -p $(BENCH_BOOT_DIR)/initramfs/bin $(BENCH_BOOT_DIR)/initramfs/proc $(BENCH_BOOT_DIR)/initramfs/dev
	$(Q)cp /bin/busybox $(BENCH_BOOT_DIR)/initramfs/bin/busybox
	$(Q)for a in sh mount cat echo reboot; do ln -sf busybox $(BENCH_BOOT_DIR)/initramfs/bin/$$a; done
	$(Q)cp bench/boot/init.sh $(BENCH_BOOT_DIR)/initramfs/init
	$(Q)cd $(BENCH_BOOT_DIR)/initramfs && find . | cpio -o -H newc --quiet | gzip -1 > ../initramfs.cpio.gz

# make bench: the peers comparison, through the KVM harness (a no-op wrapper where KVM boots Linux).
bench: bench-boot
bench-boot: all $(CHECK_TARGETS) $(BENCH_TARGETS)
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux tests/harness/with-kvm bench/boot/peers.sh
.PHONY: bench-boot
