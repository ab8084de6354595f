# init/build.mk: builds the static guest init and embeds it into libkrun (served as /init.krun).
INIT_CC		?= musl-gcc
INIT_SRCS	:= init/init.c init/config.c init/env.c init/setup.c init/net.c init/dhcp.c init/expose.c
INIT_BIN	:= $(BUILD)/init/init
INIT_BLOB_OBJ	:= $(BUILD)/init/init-blob.o
INIT_CFLAGS	:= -std=gnu11 -Os -static -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
# No page-aligned segment padding: the binary is a few tens of KiB and padding would add a third.
INIT_LDFLAGS	:= -Wl,--gc-sections -s -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--build-id=none
ifeq ($(WERROR),1)
INIT_CFLAGS	+= -Werror
endif
# Sanitizer builds with UBSan: the static init gets it in trap mode (no runtime to link; a failed
# check is a ud2, the init dies, the guest panics, the case fails). ASan needs a runtime: not here.
ifneq ($(findstring undefined,$(SAN_LIST)),)
INIT_CFLAGS	+= -fsanitize=undefined -fsanitize-undefined-trap-on-error
endif

ALL_TARGETS	+= $(INIT_BIN)
EXTRA_LIB_OBJS	+= $(INIT_BLOB_OBJ)
# Library code includes "init-blob.h" for the blob's symbols.
LIB_CFLAGS	+= -Iinit

# One compiler invocation: the program is small, and musl-gcc has no -MMD worries this way.
$(INIT_BIN): $(INIT_SRCS) $(wildcard init/*.h) init/build.mk
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $(INIT_SRCS)

$(INIT_BLOB_OBJ): init/init-blob.S $(INIT_BIN)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c -DINIT_BLOB_PATH='"$(INIT_BIN)"' -o $@ $<
