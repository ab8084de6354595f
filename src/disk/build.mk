# src/disk/build.mk: the qcow2 format inflates compressed clusters with zlib (Debian's zlib1g-dev).
LDFLAGS += -lz
