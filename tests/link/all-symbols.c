/* tests/link/all-symbols.c: links against an installed libkrun and references every public function, so a missing export fails the link. */
#include <errno.h>
#include <stdio.h>

#include <libkrun.h>
#include <libkrun_display.h>
#include <libkrun_input.h>

/* Taking each address makes the linker resolve all of them against libkrun.so. */
static void (*const symbols[])(void) = {
	(void (*)(void))krun_set_log_level,
	(void (*)(void))krun_init_log,
	(void (*)(void))krun_create_ctx,
	(void (*)(void))krun_free_ctx,
	(void (*)(void))krun_set_vm_config,
	(void (*)(void))krun_set_root,
	(void (*)(void))krun_set_root_disk,
	(void (*)(void))krun_set_data_disk,
	(void (*)(void))krun_add_disk,
	(void (*)(void))krun_add_disk2,
	(void (*)(void))krun_add_disk3,
	(void (*)(void))krun_set_mapped_volumes,
	(void (*)(void))krun_add_virtiofs,
	(void (*)(void))krun_add_virtiofs2,
	(void (*)(void))krun_add_virtiofs3,
	(void (*)(void))krun_add_net_unixstream,
	(void (*)(void))krun_add_net_unixgram,
	(void (*)(void))krun_add_net_tap,
	(void (*)(void))krun_set_passt_fd,
	(void (*)(void))krun_set_gvproxy_path,
	(void (*)(void))krun_set_net_mac,
	(void (*)(void))krun_set_port_map,
	(void (*)(void))krun_set_gpu_options,
	(void (*)(void))krun_set_gpu_options2,
	(void (*)(void))krun_add_display,
	(void (*)(void))krun_display_set_edid,
	(void (*)(void))krun_display_set_dpi,
	(void (*)(void))krun_display_set_physical_size,
	(void (*)(void))krun_display_set_refresh_rate,
	(void (*)(void))krun_set_display_backend,
	(void (*)(void))krun_add_input_device,
	(void (*)(void))krun_add_input_device_fd,
	(void (*)(void))krun_set_snd_device,
	(void (*)(void))krun_add_vhost_user_device,
	(void (*)(void))krun_set_rlimits,
	(void (*)(void))krun_set_smbios_oem_strings,
	(void (*)(void))krun_set_workdir,
	(void (*)(void))krun_set_exec,
	(void (*)(void))krun_set_firmware,
	(void (*)(void))krun_set_kernel,
	(void (*)(void))krun_set_env,
	(void (*)(void))krun_set_tee_config_file,
	(void (*)(void))krun_add_vsock_port,
	(void (*)(void))krun_add_vsock_port2,
	(void (*)(void))krun_add_vsock,
	(void (*)(void))krun_get_shutdown_eventfd,
	(void (*)(void))krun_set_console_output,
	(void (*)(void))krun_setuid,
	(void (*)(void))krun_setgid,
	(void (*)(void))krun_set_nested_virt,
	(void (*)(void))krun_check_nested_virt,
	(void (*)(void))krun_has_feature,
	(void (*)(void))krun_get_max_vcpus,
	(void (*)(void))krun_split_irqchip,
	(void (*)(void))krun_disable_implicit_console,
	(void (*)(void))krun_disable_implicit_init,
	(void (*)(void))krun_get_default_init,
	(void (*)(void))krun_fs_add_overlay_file,
	(void (*)(void))krun_fs_add_overlay_dir,
	(void (*)(void))krun_disable_implicit_vsock,
	(void (*)(void))krun_set_kernel_console,
	(void (*)(void))krun_add_virtio_console_default,
	(void (*)(void))krun_add_serial_console_default,
	(void (*)(void))krun_add_virtio_console_multiport,
	(void (*)(void))krun_add_console_port_tty,
	(void (*)(void))krun_add_console_port_inout,
	(void (*)(void))krun_set_root_disk_remount,
	(void (*)(void))krun_start_enter,
};

int main(void)
{
	size_t n = sizeof(symbols) / sizeof(symbols[0]);
	int32_t id;

	for (size_t i = 0; i < n; i++) {
		if (!symbols[i]) {
			printf("FAIL symbol %zu is NULL\n", i);
			return 1;
		}
	}
	if (n != 68) {
		printf("FAIL expected 68 functions, have %zu\n", n);
		return 1;
	}
	id = krun_create_ctx();
	if (id < 0 || krun_free_ctx(id) != 0 || krun_free_ctx(id) != -ENOENT) {
		printf("FAIL create/free ctx (id %d)\n", id);
		return 1;
	}
	printf("PASS all %zu symbols linked, ctx %d created and freed\n", n, id);
	return 0;
}
