# kernel/build.mk: locates the cached guest kernel (KERNEL_DIR) and builds it on demand via kernel/build.sh.
# KERNEL_DEBUG=1 selects the variant with a 16550 console on 0x3f8 and early printk.
KERNEL_DEBUG	?= 0
# Cheap at parse time: --dir-only hashes the inputs without building. CACHE_DIR is passed
# explicitly because make 4.3 does not hand exported variables to $(shell).
KERNEL_DIR_NORMAL := $(shell CACHE_DIR='$(CACHE_DIR)' kernel/build.sh --dir-only)
KERNEL_DIR_DEBUG  := $(shell CACHE_DIR='$(CACHE_DIR)' kernel/build.sh --dir-only --debug)
ifeq ($(KERNEL_DEBUG),1)
KERNEL_DIR	:= $(KERNEL_DIR_DEBUG)
else
KERNEL_DIR	:= $(KERNEL_DIR_NORMAL)
endif
KERNEL_VMLINUX	:= $(KERNEL_DIR)/vmlinux
KERNEL_BZIMAGE	:= $(KERNEL_DIR)/bzImage
export KERNEL_DIR KERNEL_DIR_NORMAL KERNEL_DIR_DEBUG

# No prerequisites on purpose: the directory name already hashes every input, and a fresh
# clone's newer file times must not trigger a rebuild of a cached kernel.
$(KERNEL_DIR_NORMAL)/vmlinux $(KERNEL_DIR_NORMAL)/bzImage &:
	$(Q)kernel/build.sh
$(KERNEL_DIR_DEBUG)/vmlinux $(KERNEL_DIR_DEBUG)/bzImage &:
	$(Q)kernel/build.sh --debug

# A make interrupted while build.sh waits on the build lock (or while another build publishes the
# directory) would otherwise delete the cached files as a half-made target.
.PRECIOUS: $(KERNEL_DIR_NORMAL)/vmlinux $(KERNEL_DIR_NORMAL)/bzImage \
	$(KERNEL_DIR_DEBUG)/vmlinux $(KERNEL_DIR_DEBUG)/bzImage

.PHONY: kernel kernel-debug
kernel: $(KERNEL_DIR_NORMAL)/vmlinux
kernel-debug: $(KERNEL_DIR_DEBUG)/vmlinux
