# tests/e2e/build.mk: the API driver and the busybox initramfs used by the end-to-end tests.
E2E_DIR := $(BUILD)/tests/e2e
CHECK_TARGETS += $(E2E_DIR)/krun-run $(E2E_DIR)/initramfs.cpio.gz

$(E2E_DIR)/krun-run: tests/e2e/krun-run.c $(BUILD)/libkrun.so include/libkrun.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ -L$(BUILD) -lkrun -Wl,-rpath,'$$ORIGIN/../..'

$(E2E_DIR)/initramfs.cpio.gz: tests/e2e/init-initramfs.sh
	@mkdir -p $(E2E_DIR)/initramfs/bin $(E2E_DIR)/initramfs/proc $(E2E_DIR)/initramfs/sys $(E2E_DIR)/initramfs/dev
	$(Q)cp /bin/busybox $(E2E_DIR)/initramfs/bin/busybox
	$(Q)for a in sh mount cat echo sed grep dd wc sleep reboot basename dirname sync head mkdir rm; do \
		ln -sf busybox $(E2E_DIR)/initramfs/bin/$$a; done
	$(Q)cp tests/e2e/init-initramfs.sh $(E2E_DIR)/initramfs/init
	$(Q)cd $(E2E_DIR)/initramfs && find . | cpio -o -H newc --quiet | gzip -1 > ../initramfs.cpio.gz
