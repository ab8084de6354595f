/* src/devices/legacy.h: the PC legacy devices the guest kernel touches: i8042 reset line, 16550 UARTs, userspace IOAPIC. */
#ifndef KRUN_DEVICES_LEGACY_H
#define KRUN_DEVICES_LEGACY_H

struct vm;

/* i8042 at ports 0x60-0x64: a write of 0xfe to 0x64 (reboot=k) ends the VM. */
int i8042_create(struct vm *vm);

/* 16550 UART (index 0..3 = COM1..COM4) writing guest output to (out_fd);
 * (in_fd) feeds the receive buffer (-1 for none). */
int serial_create(struct vm *vm, unsigned index, int in_fd, int out_fd);

/* Userspace IOAPIC at 0xfec00000 for the split irqchip (KVM has the LAPICs, no PIC/PIT):
 * pin n drives GSI n as the MSI its redirection entry describes. Its id is (nr_vcpus + 1),
 * as in the MP table. */
int ioapic_create(struct vm *vm, unsigned nr_vcpus);

#endif
