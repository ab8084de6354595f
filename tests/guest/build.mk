# tests/guest/build.mk: static test programs for the guest (and the host side of their tests).
VSOCK_TEST_BIN	:= $(BUILD)/tests/guest/vsock-test
CHECK_TARGETS	+= $(VSOCK_TEST_BIN)

$(VSOCK_TEST_BIN): tests/guest/vsock-test.c tests/guest/sha256.h tests/guest/build.mk
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<
