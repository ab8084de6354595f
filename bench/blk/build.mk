# bench/blk/build.mk: hooks the block-device benchmark into make bench.
.PHONY: bench-blk
bench: bench-blk
bench-blk: all $(CHECK_TARGETS)
	$(Q)WITH_KVM_TIMEOUT=3600 tests/harness/with-kvm bench/blk/bench.sh
