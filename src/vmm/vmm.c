/* src/vmm/vmm.c: builds the VM from a configuration and runs it (VMM core: work in progress). */
#include "vmm/vmm.h"

#include <errno.h>

#include "util/log.h"

int vmm_start_enter(struct krun_config *cfg)
{
	(void)cfg;
	log_err("vmm: booting a guest is not implemented yet");
	return -ENOTSUP;
}
