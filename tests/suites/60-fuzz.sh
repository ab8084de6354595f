#!/usr/bin/env bash
# tests/suites/60-fuzz.sh: runs every libFuzzer target for about 20 s (FUZZ_CHECK_SECONDS) over its corpus; prints PASS fuzz-<target>.
set -u
cd "$(dirname "$0")/../.."
# A SANITIZE= build does not build the targets (tests/fuzz/build.mk): they carry ASan+UBSan in
# every build, and the normal build's make check runs them.
if ldd "${BUILD:-build}/libkrun.so.1" 2>/dev/null | grep -qE 'lib(asan|ubsan|tsan|lsan)\.so'; then
	echo "SKIP fuzz: sanitizer build; the targets (ASan+UBSan in every build) run in the normal build's make check"
	exit 0
fi
FUZZ_SECONDS=${FUZZ_CHECK_SECONDS:-20} exec tests/fuzz/run.sh fuse virtqueue init-config cmdline vsock blk blk-req net
