# tests/fuzz/build.mk: libFuzzer targets (Debian's clang, -fsanitize=fuzzer,address,undefined) linking our sources directly.
# Our sources are rebuilt with clang and the sanitizers into an archive of their own, so a
# target pulls in only the objects it needs. `make fuzz FUZZ_SECONDS=N` runs every target.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_NAMES	:= fuse virtqueue init-config cmdline vsock blk blk-req net
FUZZ_BINS	:= $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz-%)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Isrc -I. -Iinit -pthread -MMD -MP \
	-Wall -Wno-unused-parameter -Wno-missing-field-initializers -Wno-gnu-variable-sized-type-not-at-end $(FUZZ_SAN)
FUZZ_SRCS	:= $(LIB_SRCS) init/config.c
FUZZ_OBJS	:= $(FUZZ_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_LIB	:= $(BUILD)/fuzz/libkrun-fuzz.a
# A SANITIZE= build checks the other suites only: the fuzz targets carry their own sanitizers.
ifeq ($(SAN_LIST),)
CHECK_TARGETS	+= $(FUZZ_BINS)
endif

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_NAMES)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz $< -o $@ $(FUZZ_LIB) -ldl -lz -lseccomp
