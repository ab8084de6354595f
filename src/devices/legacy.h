/* src/devices/legacy.h: the PC legacy devices the guest kernel touches: i8042 reset line and 16550 UARTs. */
#ifndef KRUN_DEVICES_LEGACY_H
#define KRUN_DEVICES_LEGACY_H

struct vm;

/* i8042 at ports 0x60-0x64: a write of 0xfe to 0x64 (reboot=k) ends the VM. */
int i8042_create(struct vm *vm);

/* 16550 UART (index 0..3 = COM1..COM4) writing guest output to (out_fd);
 * (in_fd) feeds the receive buffer (-1 for none). */
int serial_create(struct vm *vm, unsigned index, int in_fd, int out_fd);

#endif
