/* src/vmm/vmm.h: the single entry point from the API layer into the VM monitor. */
#ifndef KRUN_VMM_VMM_H
#define KRUN_VMM_VMM_H

struct krun_config;

/*
 * Build and run the microVM described by (cfg), which the caller hands over.
 * Never returns on success: the process _exit()s with the guest's exit code.
 * Returns -errno for failures before the guest starts.
 */
int vmm_start_enter(struct krun_config *cfg);

#endif
