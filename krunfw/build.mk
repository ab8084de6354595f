# krunfw/build.mk: libkrunfw.so.5, the cached guest kernel laid out as a flat bundle behind krunfw_get_kernel().
KRUNFW_VERSION	:= 5.0.0
KRUNFW_ABI	:= 5
KRUNFW_SO	:= $(BUILD)/libkrunfw.so.$(KRUNFW_VERSION)
KRUNFW_DIR	:= $(BUILD)/krunfw
# Own flags: two tiny files that must not pick up the sanitizer runtime of SANITIZE=1 builds.
KRUNFW_CFLAGS	:= -std=gnu11 -O2 -Wall -Wextra -fPIC -fvisibility=hidden
ifeq ($(WERROR),1)
KRUNFW_CFLAGS	+= -Werror
endif

ALL_TARGETS	+= $(KRUNFW_SO) $(BUILD)/libkrunfw.so.$(KRUNFW_ABI) $(BUILD)/libkrunfw.so

$(KRUNFW_DIR)/mkbundle: krunfw/mkbundle.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -o $@ $<

# Names the kernel the bundle was made from; rewritten only on change, so KERNEL_DEBUG=1 rebundles.
.PHONY: krunfw-kernel-dir-force
$(KRUNFW_DIR)/kernel-dir: krunfw-kernel-dir-force
	@mkdir -p $(dir $@)
	$(Q)echo '$(KERNEL_DIR)' | cmp -s - $@ || echo '$(KERNEL_DIR)' > $@

$(KRUNFW_DIR)/kernel.bin $(KRUNFW_DIR)/kernel.S &: $(KRUNFW_DIR)/mkbundle $(KERNEL_DIR)/vmlinux $(KRUNFW_DIR)/kernel-dir
	$(Q)$(KRUNFW_DIR)/mkbundle $(KERNEL_DIR)/vmlinux $(KRUNFW_DIR)/kernel.bin $(KRUNFW_DIR)/kernel.S

$(KRUNFW_DIR)/kernel.o: $(KRUNFW_DIR)/kernel.S $(KRUNFW_DIR)/kernel.bin
	$(Q)$(CC) -c -o $@ $<

$(KRUNFW_DIR)/krunfw.o: krunfw/krunfw.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(KRUNFW_CFLAGS) -c -o $@ $<

$(KRUNFW_SO): $(KRUNFW_DIR)/krunfw.o $(KRUNFW_DIR)/kernel.o krunfw/libkrunfw.map
	$(Q)$(CC) -shared -Wl,-soname,libkrunfw.so.$(KRUNFW_ABI) -Wl,--version-script=krunfw/libkrunfw.map \
		-Wl,-z,noexecstack -s -o $@ $(KRUNFW_DIR)/krunfw.o $(KRUNFW_DIR)/kernel.o

$(BUILD)/libkrunfw.so.$(KRUNFW_ABI) $(BUILD)/libkrunfw.so: $(KRUNFW_SO)
	$(Q)ln -sf libkrunfw.so.$(KRUNFW_VERSION) $@

install-extra::
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0755 $(KRUNFW_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkrunfw.so.$(KRUNFW_VERSION) $(DESTDIR)$(LIBDIR)/libkrunfw.so.$(KRUNFW_ABI)
	ln -sf libkrunfw.so.$(KRUNFW_VERSION) $(DESTDIR)$(LIBDIR)/libkrunfw.so
