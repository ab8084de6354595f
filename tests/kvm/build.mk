# tests/kvm/build.mk: kvm-selftest, a standalone /dev/kvm check that needs no library.
KVM_SELFTEST := $(BUILD)/tests/kvm/kvm-selftest
CHECK_TARGETS += $(KVM_SELFTEST)

$(KVM_SELFTEST): tests/kvm/kvm-selftest.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $< -o $@ $(LDFLAGS)
