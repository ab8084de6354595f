#!/usr/bin/env bash
# tests/suites/60-fuzz.sh: runs every libFuzzer target for about 20 s (FUZZ_CHECK_SECONDS) over its corpus; prints PASS fuzz-<target>.
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_CHECK_SECONDS:-20} exec tests/fuzz/run.sh fuse virtqueue init-config cmdline vsock blk blk-req net
