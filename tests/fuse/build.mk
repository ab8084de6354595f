# tests/fuse/build.mk: host-side FUSE tools: /dev/fuse adapter around the library's server, conformance and escape checkers.
FUSE_TEST_BINS := $(BUILD)/tests/fuse/fuse-host-mount $(BUILD)/tests/fuse/fuse-conformance \
	$(BUILD)/tests/fuse/fuse-escape $(BUILD)/tests/fuse/fuse-posix
CHECK_TARGETS += $(FUSE_TEST_BINS)

$(BUILD)/tests/fuse/fuse-host-mount: tests/fuse/fuse-host-mount.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LIB_A) -pthread -ldl $(LDFLAGS)

$(BUILD)/tests/fuse/fuse-%: tests/fuse/fuse-%.c tests/fuse/check.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/fuse $< -o $@ $(LDFLAGS)
