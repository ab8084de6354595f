# tests/rootfs/build.mk: the test guest root ($(BUILD)/rootfs) and the static probe it carries.
PROBE_BIN	:= $(BUILD)/tests/guest/probe
ROOTFS_DIR	:= $(BUILD)/rootfs
ROOTFS_STAMP	:= $(ROOTFS_DIR)/.stamp
BUSYBOX_STATIC	?= /bin/busybox

.PHONY: rootfs probe
rootfs: $(ROOTFS_STAMP)
probe: $(PROBE_BIN)
CHECK_TARGETS	+= rootfs

$(PROBE_BIN): tests/guest/probe.c tests/guest/sha256.h tests/rootfs/build.mk
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<

$(ROOTFS_STAMP): tests/rootfs/mkrootfs.sh $(PROBE_BIN) $(BUSYBOX_STATIC)
	$(Q)tests/rootfs/mkrootfs.sh $(ROOTFS_DIR) $(BUSYBOX_STATIC) $(PROBE_BIN)
	$(Q)touch $@
