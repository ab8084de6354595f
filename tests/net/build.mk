# tests/net/build.mk: the driver of the network tests (tests/net/run.sh).
NET_RUN := $(BUILD)/tests/net/net-run
CHECK_TARGETS += $(NET_RUN)

$(NET_RUN): tests/net/net-run.c $(BUILD)/libkrun.so include/libkrun.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ -L$(BUILD) -lkrun -Wl,-rpath,'$$ORIGIN/../..'

# Static (musl), so the same probe runs in the guest's busybox root and on the host side.
NETPROBE := $(BUILD)/tests/net/netprobe
CHECK_TARGETS += $(NETPROBE)

$(NETPROBE): tests/net/netprobe.c tests/net/build.mk
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) -o $@ $<
