# tests/e2e-fs/build.mk: the virtio-fs e2e suite's guest program (static) and its API driver for read-only and overlay-only roots.
E2E_FS_DIR := $(BUILD)/tests/e2e-fs
CHECK_TARGETS += $(E2E_FS_DIR)/fs-guest $(E2E_FS_DIR)/krun-fs

$(E2E_FS_DIR)/fs-guest: tests/e2e-fs/fs-guest.c
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<

$(E2E_FS_DIR)/krun-fs: tests/e2e-fs/krun-fs.c $(BUILD)/libkrun.so include/libkrun.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ -L$(BUILD) -lkrun -Wl,-rpath,'$$ORIGIN/../..'
