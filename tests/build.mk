# tests/build.mk: unit tests. Every tests/unit/*.c becomes build/tests/unit/<name>,
# linked against the static library (all internal symbols visible).
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
CHECK_TARGETS += $(UNIT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_A) tests/unit/test.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/unit $< -o $@ $(LIB_A) $(LIB_LIBS) $(LDFLAGS)
