# bench/fuse/build.mk: hooks the filesystem benchmark (host /dev/fuse peers, the same workloads in a guest, a build on a virtio-fs vs a virtio-blk root) into make bench.
FSBENCH := $(BUILD)/bench/fsbench
.PHONY: bench-fuse
bench: bench-fuse
bench-fuse: all $(CHECK_TARGETS) $(FSBENCH)
	$(Q)bench/fuse/bench.sh
	$(Q)BENCH_DIR=/dev/shm TSV=$(BUILD)/bench/fuse-tmpfs.tsv bench/fuse/bench.sh
	$(Q)WITH_KVM_TIMEOUT=3600 tests/harness/with-kvm bench/fuse/guest.sh
	$(Q)WITH_KVM_TIMEOUT=3600 tests/harness/with-kvm bench/fuse/guest-build.sh
	$(Q)WITH_KVM_TIMEOUT=3600 TEST_FSB_MIB=128 TEST_FSB_REPS=9 tests/harness/with-kvm bench/fuse/guest-dirty.sh

$(FSBENCH): bench/fuse/fsbench.c
	@mkdir -p $(dir $@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@ $<
