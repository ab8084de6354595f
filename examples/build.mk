# examples/build.mk: example programs linked against the freshly built libkrun.so (run from build/examples).
EXAMPLES	:= $(BUILD)/examples/chroot_vm $(BUILD)/examples/external_kernel

ALL_TARGETS	+= $(EXAMPLES)

# $ORIGIN/.. finds build/libkrun.so.1 without installing; an installed copy is found the usual way.
$(BUILD)/examples/%: examples/%.c $(BUILD)/libkrun.so include/libkrun.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -L$(BUILD) -lkrun -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS)
