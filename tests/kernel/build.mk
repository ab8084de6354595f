# tests/kernel/build.mk: the guest-kernel e2e driver (libkrun, bundled kernel) and the programs the guest runs.
KTEST_DIR := $(BUILD)/tests/kernel
CHECK_TARGETS += $(KTEST_DIR)/krun-guest $(KTEST_DIR)/bpf-devcg

$(KTEST_DIR)/krun-guest: tests/kernel/krun-guest.c $(BUILD)/libkrun.so include/libkrun.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ -L$(BUILD) -lkrun -Wl,-rpath,'$$ORIGIN/../..'

# Runs inside the guest, whose root is the host's /: a normal dynamic binary is fine.
$(KTEST_DIR)/bpf-devcg: tests/kernel/bpf-devcg.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@
