# Makefile: builds libkrun.so.1, libkrunfw.so.5, the guest init, examples and tests.
# Non-recursive: each part adds its targets through a build.mk fragment in its folder.

FULL_VERSION	:= 1.19.0
ABI_VERSION	:= 1
PREFIX		?= /usr/local
LIBDIR		?= $(PREFIX)/lib64
INCDIR		?= $(PREFIX)/include
BUILD		?= $(if $(SANITIZE),build-san,build)
CC		?= gcc
CFLAGS		?= -O2 -g
WERROR		?= 1
V		?= 0
# Heavy artifacts (kernel, nested-VM images) live outside the work tree, keyed by inputs.
CACHE_DIR	?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/libkrun-c
export CACHE_DIR BUILD

ifeq ($(V),0)
Q := @
endif

BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-D_GNU_SOURCE -Iinclude -Isrc -MMD -MP -pthread
ifeq ($(WERROR),1)
BASE_CFLAGS += -Werror
endif
# SANITIZE=address,undefined (any -fsanitize= list; SANITIZE=1 means that one) builds the
# library, tools and tests with the sanitizers; use a build directory of its own (BUILD=build-san).
comma := ,
SAN_LIST := $(if $(filter 1,$(SANITIZE)),address$(comma)undefined,$(SANITIZE))
ifneq ($(SAN_LIST),)
BASE_CFLAGS += -fsanitize=$(SAN_LIST) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Tells the code which runtimes are in (src/sandbox/ allows their syscalls; tests).
BASE_CFLAGS += -DKRUN_SANITIZE=\"$(SAN_LIST)\"
LDFLAGS += -fsanitize=$(SAN_LIST)
endif
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden
# libslirp (the built-in network) and libseccomp (the sandbox) are linked dynamically, not dlopened
# when first used: crun's krun handler loads libkrun on the host but calls krun_start_enter after it
# changed root into the container, where a late dlopen finds no libslirp. Only krun_* is exported.
LIB_LIBS := -pthread -ldl -lslirp -lseccomp

# Every .c below src/ is part of the library; adding a file needs no Makefile change.
LIB_SRCS := $(sort $(shell find src -name '*.c'))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_SO   := $(BUILD)/libkrun.so.$(FULL_VERSION)
LIB_A    := $(BUILD)/libkrun.a

# Fragments append to these.
ALL_TARGETS	:= $(LIB_SO) $(BUILD)/libkrun.so.$(ABI_VERSION) $(BUILD)/libkrun.so $(BUILD)/libkrun.pc
CHECK_TARGETS	:=
EXTRA_LIB_OBJS	:=

.PHONY: all check deps install clean demo bench
all: all-targets

include $(sort $(wildcard */build.mk */*/build.mk))

all-targets: $(ALL_TARGETS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LIB_CFLAGS) $(CFLAGS) -c $< -o $@

# Debug sections zlib-compressed: the file stays under 1 MiB with full debug info (gdb and
# binutils read them as they are); nothing of it is loaded at run time either way.
$(LIB_SO): $(LIB_OBJS) $(EXTRA_LIB_OBJS) src/libkrun.map
	$(Q)$(CC) -shared -Wl,-soname,libkrun.so.$(ABI_VERSION) -Wl,--version-script=src/libkrun.map \
		-Wl,-z,noexecstack -Wl,--compress-debug-sections=zlib -o $@ $(LIB_OBJS) $(EXTRA_LIB_OBJS) $(LIB_LIBS) $(LDFLAGS)

$(LIB_A): $(LIB_OBJS) $(EXTRA_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libkrun.so.$(ABI_VERSION): $(LIB_SO)
	$(Q)ln -sf libkrun.so.$(FULL_VERSION) $@
$(BUILD)/libkrun.so: $(LIB_SO)
	$(Q)ln -sf libkrun.so.$(FULL_VERSION) $@

PC_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(FULL_VERSION)|'
$(BUILD)/libkrun.pc: libkrun.pc.in Makefile
	$(Q)$(PC_SUBST) $< > $@

# Installs the Debian packages the build and tests need (idempotent).
deps:
	$(Q)tools/deps.sh

# The main job: a command inside a microVM (DEMO_ARGS overrides the command).
demo: all rootfs
	$(Q)tools/demo.sh $(DEMO_ARGS)

# Benchmarks print figures (through the KVM harness); they assert nothing.
bench: all $(CHECK_TARGETS)
	$(Q)TEST_VMLINUX=$$(kernel/build.sh --print-dir)/vmlinux tests/harness/with-kvm bench/boot.sh $(BENCH_RUNS)
	$(Q)tests/harness/with-kvm bench/vsock.sh
	$(Q)tests/harness/with-kvm bench/net.sh
	$(Q)bench/report.sh

check: all $(CHECK_TARGETS)
	$(Q)tests/run.sh

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkrun.so.$(FULL_VERSION) $(DESTDIR)$(LIBDIR)/libkrun.so.$(ABI_VERSION)
	ln -sf libkrun.so.$(FULL_VERSION) $(DESTDIR)$(LIBDIR)/libkrun.so
	install -m 0644 include/libkrun.h include/libkrun_display.h include/libkrun_input.h $(DESTDIR)$(INCDIR)/
	# Generated again: PREFIX/LIBDIR given to "make install" may differ from the build's.
	$(PC_SUBST) libkrun.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libkrun.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/libkrun.pc
	$(Q)$(MAKE) --no-print-directory install-extra

.PHONY: install-extra
install-extra::

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
