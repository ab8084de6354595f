/* tests/unit/test-api-config.c: every configuration call stores what it should and rejects what upstream rejects (no KVM). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "libkrun.h"
#include "api/api.h"
#include "test.h"

/* A fresh context and its (unlocked) configuration: tests run single-threaded. */
static struct krun_config *fresh(int32_t *id)
{
	struct krun_config *cfg;

	*id = krun_create_ctx();
	cfg = ctx_get(*id);
	ctx_put();
	return cfg;
}

static const char bad_utf8[] = { 'a', (char)0xc0, (char)0x80, 0 };

static void test_root_and_virtiofs(void)
{
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_set_root(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_root(id, bad_utf8), -EINVAL);
	CHECK_EQ(krun_set_root(id, "/tmp"), 0);
	CHECK_EQ(cfg->nr_fs, 1);
	CHECK(!strcmp(cfg->fs[0].tag, "/dev/root"));
	CHECK(!strcmp(cfg->fs[0].path, "/tmp"));
	CHECK_EQ(cfg->fs[0].shm_size, 1ull << 29);
	CHECK(cfg->fs[0].inject_init);
	CHECK_EQ(krun_set_root(id, "/tmp"), -EEXIST);
	CHECK_EQ(krun_add_virtiofs(id, NULL, "/tmp"), -EINVAL);
	CHECK_EQ(krun_add_virtiofs(id, "", "/tmp"), -EINVAL);
	CHECK_EQ(krun_add_virtiofs(id, "0123456789012345678901234567890123456", "/"), -EINVAL);
	CHECK_EQ(krun_add_virtiofs(id, "012345678901234567890123456789012345", "/"), 0);
	CHECK_EQ(krun_add_virtiofs2(id, "shm", "/dev/shm", UINT64_MAX), 0);
	CHECK_EQ(krun_add_virtiofs3(id, "ro", NULL, 0, true), 0);
	CHECK_EQ(krun_add_virtiofs3(id, "ro", "/", 0, true), -EEXIST);
	CHECK_EQ(cfg->nr_fs, 4);
	CHECK_EQ(cfg->fs[2].shm_size, UINT64_MAX);
	CHECK(cfg->fs[3].path == NULL && cfg->fs[3].read_only && !cfg->fs[3].inject_init);
	CHECK_EQ(krun_add_virtiofs(UINT32_MAX, "x", "/"), -ENOENT);
	CHECK_EQ(krun_set_mapped_volumes(id, NULL), -EINVAL);
	CHECK_EQ(krun_free_ctx(id), 0);
	CHECK_EQ(krun_set_root(id, "/"), -ENOENT);
}

static void test_implicit_init(void)
{
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_disable_implicit_init(id), 0);
	CHECK_EQ(krun_add_virtiofs3(id, KRUN_FS_ROOT_TAG, "/", 0, false), 0);
	CHECK(!cfg->fs[0].inject_init);
	CHECK_EQ(krun_disable_implicit_init(UINT32_MAX), -ENOENT);
}

static void test_overlays(void)
{
	static const uint8_t data[] = "hello";
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_fs_add_overlay_dir(id, "/dev/root", "etc", 0755), -ENOENT);
	CHECK_EQ(krun_set_root(id, "/"), 0);
	CHECK_EQ(krun_fs_add_overlay_dir(id, "/dev/root", "etc", 0755), 0);
	CHECK_EQ(krun_fs_add_overlay_dir(id, "/dev/root", "etc", 0755), -EEXIST);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "etc/hostname", data, 5, 0100644, false), 0);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "etc/hostname/x", data, 5, 0644, false), -ENOTDIR);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "usr/lib/x", data, 5, 0644, false), -ENOENT);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "init.krun", data, 5, 0755, true), -EEXIST);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "a//b", data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "/abs", data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "..", data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "", data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", NULL, data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, NULL, "x", data, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "x", NULL, 5, 0644, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "x", data, 5, 040755, false), -EINVAL);
	CHECK_EQ(krun_fs_add_overlay_file(id, "/dev/root", "empty", NULL, 0, 0644, true), 0);
	CHECK_EQ(krun_fs_add_overlay_file(id, "nosuchtag", "x", data, 5, 0644, false), -ENOENT);
	CHECK_EQ(krun_fs_add_overlay_file(UINT32_MAX, "/dev/root", "x", data, 5, 0644, false), -ENOENT);
	CHECK_EQ(cfg->fs[0].nr_overlays, 3);
	CHECK(!strcmp(cfg->fs[0].overlays[1].path, "etc/hostname"));
	CHECK_EQ(cfg->fs[0].overlays[1].mode, 0100644);
	CHECK(cfg->fs[0].overlays[1].data == data);
	CHECK_EQ(cfg->fs[0].overlays[0].mode, 040755);
	CHECK(cfg->fs[0].overlays[2].one_shot);
}

static void test_exec_env(void)
{
	const char *argv[] = { "-c", "echo hi", NULL };
	const char *envp[] = { "A=1", "B=2", NULL };
	const char *bad[] = { "ok", bad_utf8, NULL };
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_set_exec(id, NULL, argv, envp), -EINVAL);
	CHECK_EQ(krun_set_exec(id, "/bin/sh", bad, envp), -EINVAL);
	CHECK(cfg->exec_path == NULL);
	CHECK_EQ(krun_set_exec(id, "/bin/sh", argv, envp), 0);
	CHECK(!strcmp(cfg->exec_path, "/bin/sh"));
	CHECK_EQ(cfg->argv.n, 2);
	CHECK(!strcmp(cfg->argv.v[1], "echo hi") && cfg->argv.v[2] == NULL);
	CHECK(cfg->env_set && cfg->env.n == 2);
	CHECK(cfg_env(cfg) == cfg->env.v);
	CHECK_EQ(krun_set_exec(id, "/bin/true", NULL, NULL), 0);
	CHECK_EQ(cfg->argv.n, 0);
	CHECK(!cfg->env_set);
	CHECK(cfg_env(cfg) == environ);
	CHECK_EQ(krun_set_env(id, envp), 0);
	CHECK(cfg->env_set && !strcmp(cfg->env.v[0], "A=1"));
	CHECK_EQ(krun_set_env(id, bad), -EINVAL);
	CHECK(cfg->env_set && cfg->env.n == 2);
	CHECK_EQ(krun_set_env(id, NULL), 0);
	CHECK(!cfg->env_set);
	CHECK_EQ(krun_set_workdir(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_workdir(id, "/root"), 0);
	CHECK(!strcmp(cfg->workdir, "/root"));
	CHECK_EQ(krun_setuid(id, 1000), 0);
	CHECK_EQ(krun_setgid(id, 100), 0);
	CHECK(cfg->has_uid && cfg->uid == 1000 && cfg->has_gid && cfg->gid == 100);
	CHECK_EQ(krun_set_exec(UINT32_MAX, "/bin/sh", NULL, NULL), -ENOENT);
	CHECK_EQ(krun_setuid(UINT32_MAX, 0), -ENOENT);
}

static void test_many_args(void)
{
	static const char *argv[5000];
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	for (int i = 0; i < 4999; i++)
		argv[i] = "x";
	CHECK_EQ(krun_set_exec(id, "/bin/sh", argv, NULL), 0);
	CHECK_EQ(cfg->argv.n, 4096);
}

static void test_rlimits(void)
{
	const char *good[] = { "6=4096:8192", "7=1024:2048", NULL };
	const char *bad1[] = { "6=4096", NULL };
	const char *bad2[] = { "6=4096:8192\"", NULL };
	const char *bad3[] = { "NOFILE=1:2", NULL };
	const char *empty[] = { NULL };
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_set_rlimits(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_rlimits(id, bad1), -EINVAL);
	CHECK_EQ(krun_set_rlimits(id, bad2), -EINVAL);
	CHECK_EQ(krun_set_rlimits(id, bad3), -EINVAL);
	CHECK_EQ(krun_set_rlimits(id, good), 0);
	CHECK(cfg->rlimits && !strcmp(cfg->rlimits, "6=4096:8192,7=1024:2048"));
	CHECK_EQ(krun_set_rlimits(id, empty), 0);
	CHECK(cfg->rlimits == NULL);
}

static void test_kernel_machine(void)
{
	const char *oem[] = { "a", "b", NULL };
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_set_kernel(id, NULL, 0, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(id, "/k", 6, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel(id, "/k", KRUN_KERNEL_FORMAT_ELF, "/i", "console=ttyS0"), 0);
	CHECK(!strcmp(cfg->kernel_path, "/k") && cfg->kernel_format == 1);
	CHECK(!strcmp(cfg->initramfs_path, "/i") && !strcmp(cfg->kernel_cmdline, "console=ttyS0"));
	CHECK_EQ(krun_set_kernel(id, "/k2", KRUN_KERNEL_FORMAT_RAW, NULL, NULL), 0);
	CHECK(cfg->initramfs_path == NULL && cfg->kernel_cmdline == NULL);
	CHECK_EQ(krun_set_firmware(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_firmware(id, "/fw"), -ENOTSUP);
	CHECK_EQ(krun_set_nested_virt(id, true), 0);
	CHECK(cfg->nested_virt);
	CHECK_EQ(krun_split_irqchip(id, false), 0);
	CHECK_EQ(krun_split_irqchip(id, true), CFG_HAVE_SPLIT_IRQCHIP ? 0 : -ENOTSUP);
	CHECK_EQ(cfg->split_irqchip, CFG_HAVE_SPLIT_IRQCHIP);
	CHECK_EQ(krun_split_irqchip(id, false), 0);
	CHECK(!cfg->split_irqchip);
	CHECK_EQ(krun_set_smbios_oem_strings(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_smbios_oem_strings(id, oem), 0);
	CHECK_EQ(cfg->smbios_oem.n, 2);
	CHECK_EQ(krun_set_tee_config_file(id, "/x"), -ENOTSUP);
	CHECK_EQ(krun_set_snd_device(id, true), 0);
	CHECK(cfg->snd_enabled);
	/* Upstream v1.19 stores these and returns 0; muvm calls them unconditionally. */
	CHECK_EQ(krun_set_gpu_options(id, VIRGLRENDERER_VENUS), 0);
	CHECK_EQ(cfg->gpu_virgl_flags, VIRGLRENDERER_VENUS);
	CHECK_EQ(krun_set_gpu_options2(id, VIRGLRENDERER_USE_EGL, 1ull << 33), 0);
	CHECK_EQ(cfg->gpu_virgl_flags, VIRGLRENDERER_USE_EGL);
	CHECK_EQ(cfg->gpu_shm_size, 1ull << 33);
	CHECK_EQ(krun_set_gpu_options(UINT32_MAX, 0), -ENOENT);
	CHECK_EQ(krun_set_kernel(UINT32_MAX, "/k", 0, NULL, NULL), -ENOENT);
	CHECK_EQ(krun_set_firmware(UINT32_MAX, "/fw"), -ENOENT);
	CHECK_EQ(krun_set_nested_virt(UINT32_MAX, true), -ENOENT);
	CHECK_EQ(krun_set_tee_config_file(UINT32_MAX, "/x"), -ENOENT);
}

static void test_consoles(void)
{
	int32_t id, mp;
	struct krun_config *cfg = fresh(&id);
	int fd = open("/dev/null", O_RDWR);

	CHECK_EQ(krun_set_console_output(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_console_output(id, "/tmp/out"), 0);
	CHECK_EQ(krun_set_console_output(id, "/tmp/out2"), -EINVAL);
	CHECK(!strcmp(cfg->console_output, "/tmp/out"));
	CHECK_EQ(krun_disable_implicit_console(id), 0);
	CHECK(cfg->implicit_console_disabled);
	CHECK_EQ(krun_set_kernel_console(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_kernel_console(id, "ttyS0"), 0);
	CHECK(!strcmp(cfg->kernel_console, "ttyS0"));
	CHECK_EQ(krun_add_virtio_console_default(id, 0, 1, 2), 0);
	CHECK_EQ(krun_add_virtio_console_default(id, -2, 1, 2), -EINVAL);
	mp = krun_add_virtio_console_multiport(id);
	CHECK_EQ(mp, 1);
	CHECK_EQ(krun_add_console_port_tty(id, mp, "tty", -1), -EINVAL);
	CHECK_EQ(krun_add_console_port_tty(id, mp, "tty", fd), -ENOTTY);
	CHECK_EQ(krun_add_console_port_inout(id, 0, "p", fd, fd), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(id, 99, "p", fd, fd), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(id, UINT32_MAX, "p", fd, fd), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(id, mp, NULL, fd, fd), -EINVAL);
	CHECK_EQ(krun_add_console_port_inout(id, mp, "", -1, fd), 0);
	CHECK_EQ(krun_add_console_port_inout(id, mp, "data", fd, -1), 0);
	CHECK_EQ(cfg->nr_consoles, 2);
	CHECK_EQ(cfg->consoles[0].kind, CFG_CONSOLE_DEFAULT);
	CHECK_EQ(cfg->consoles[0].err_fd, 2);
	CHECK_EQ(cfg->consoles[1].nr_ports, 2);
	CHECK(!strcmp(cfg->consoles[1].ports[1].name, "data") && cfg->consoles[1].ports[1].out_fd == -1);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(krun_add_serial_console_default(id, -1, 1), 0);
	CHECK_EQ(krun_add_serial_console_default(id, -1, 1), -EINVAL);
	CHECK_EQ(cfg->nr_serials, 4);
	CHECK_EQ(krun_add_virtio_console_multiport(UINT32_MAX), -ENOENT);
	CHECK_EQ(krun_add_console_port_tty(UINT32_MAX, 0, "x", 0), -ENOENT);
	CHECK_EQ(krun_set_console_output(UINT32_MAX, "/x"), -ENOENT);
}

/* Block devices: the storing rules of upstream's krun_add_disk* and the legacy calls. */
static void test_disks(void)
{
	int32_t id, id2;
	struct krun_config *cfg = fresh(&id);
	struct krun_config *cfg2;

	CHECK_EQ(krun_set_root_disk_remount(id, "/dev/vda", "auto", NULL), -EINVAL); /* no disk yet */
	CHECK_EQ(krun_add_disk(id, NULL, "/img", false), -EINVAL);
	CHECK_EQ(krun_add_disk(id, "", "/img", false), -EINVAL);
	CHECK_EQ(krun_add_disk2(id, "d", "/img", 3, false), -EINVAL);
	CHECK_EQ(krun_add_disk2(id, "d", "/img", KRUN_DISK_FORMAT_VMDK, false), -ENOTSUP);
	CHECK_EQ(krun_add_disk3(id, "d", "/img", 0, false, true, 3), -EINVAL);
	CHECK_EQ(krun_add_disk(id, "vda", "/a.img", false), 0);
	CHECK_EQ(krun_add_disk3(id, "vdb", "/b.img", 0, true, true, KRUN_SYNC_NONE), 0);
	CHECK_EQ(krun_add_disk(id, "vdb", "/c.img", false), -EEXIST);
	CHECK_EQ(krun_set_root_disk(id, "/r.img"), -EINVAL); /* exclusive with add_disk */
	CHECK_EQ(cfg->nr_disks, 2);
	CHECK(!strcmp(cfg->disks[1].block_id, "vdb") && !strcmp(cfg->disks[1].path, "/b.img"));
	CHECK(cfg->disks[1].read_only && cfg->disks[1].direct_io);
	CHECK_EQ(cfg->disks[1].sync_mode, KRUN_SYNC_NONE);
	CHECK_EQ(cfg->disks[0].sync_mode, KRUN_SYNC_FULL);
	CHECK_EQ(krun_set_root_disk_remount(id, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk_remount(id, "/dev/vda", "auto", "noatime"), 0);
	CHECK(!strcmp(cfg->remount_device, "/dev/vda") && !cfg->remount_fstype);
	CHECK(!strcmp(cfg->remount_options, "noatime"));
	CHECK(cfg_find_fs(cfg, KRUN_FS_ROOT_TAG) && cfg_find_fs(cfg, KRUN_FS_ROOT_TAG)->inject_init);
	CHECK_EQ(krun_set_root_disk_remount(id, "/dev/vda", "ext4", NULL), -EINVAL); /* root exists */

	cfg2 = fresh(&id2);
	CHECK_EQ(krun_set_data_disk(id2, NULL), -EINVAL);
	CHECK_EQ(krun_set_root_disk(id2, "/r.img"), 0);
	CHECK_EQ(krun_set_data_disk(id2, "/d.img"), 0);
	CHECK_EQ(krun_add_disk(id2, "x", "/x.img", false), -EINVAL);
	CHECK_EQ(cfg2->nr_disks, 2);
	CHECK(!strcmp(cfg2->disks[0].block_id, "root") && !strcmp(cfg2->disks[1].block_id, "data"));
	CHECK_EQ(krun_add_disk(UINT32_MAX, "d", "/img", false), -ENOENT);
}

/* Features the VMM lacks: arguments are still checked, then -ENOTSUP and nothing stored. */
static void test_unsupported_devices(void)
{
	uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	const char *ports[] = { "8080:80", NULL };
	const char *dup[] = { "8080:80", "8081:80", NULL };
	const char *badport[] = { "70000:80", NULL };
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	CHECK_EQ(krun_add_net_unixstream(id, "/s", 3, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(id, NULL, -1, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(id, NULL, 3, NULL, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(id, NULL, 3, mac, 1u << 31, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(id, NULL, 3, mac, 0, NET_FLAG_VFKIT), -EINVAL);
	CHECK_EQ(krun_add_net_tap(id, NULL, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_tap(id, "tap0", mac, NET_FEATURE_GUEST_TSO4, 0), -EINVAL);
	CHECK_EQ(krun_set_passt_fd(id, -1), -EINVAL);
	CHECK_EQ(krun_set_gvproxy_path(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_net_mac(id, NULL), -EINVAL);
	CHECK_EQ(krun_set_port_map(id, dup), -EINVAL);
	CHECK_EQ(krun_set_port_map(id, badport), -EINVAL);
	/* Before any NIC the map is for the implicit built-in network. */
	CHECK_EQ(krun_set_port_map(id, ports), 0);
	CHECK_EQ(cfg->nr_port_map, 1);
	CHECK_EQ(cfg->port_map[0].host_port, 8080);
	CHECK_EQ(cfg->port_map[0].guest_port, 80);
	{
		const char *const empty[] = { NULL };

		CHECK_EQ(krun_set_port_map(id, empty), 0);
	}
	CHECK_EQ(krun_add_net_unixstream(id, NULL, 3, mac, COMPAT_NET_FEATURES, NET_FLAG_DHCP_CLIENT), 0);
	CHECK_EQ(krun_add_net_unixgram(id, "/s", -1, mac, 0, NET_FLAG_VFKIT), 0);
	CHECK_EQ(krun_add_net_tap(id, "tap0", mac, 0, 0), 0);
	CHECK_EQ(cfg->nr_nets, 3);
	CHECK_EQ(cfg->nets[0].kind, CFG_NET_UNIXSTREAM);
	CHECK_EQ(cfg->nets[2].kind, CFG_NET_TAP);
	/* The legacy single-NIC calls and the port map exclude krun_add_net_* (upstream). */
	CHECK_EQ(krun_set_passt_fd(id, 3), -EINVAL);
	CHECK_EQ(krun_set_gvproxy_path(id, "/g"), -EINVAL);
	CHECK_EQ(krun_set_port_map(id, ports), -EINVAL);
	CHECK_EQ(krun_set_net_mac(id, mac), 0);
	CHECK_EQ(krun_add_vsock_port(id, 1234, NULL), -EINVAL);
	CHECK_EQ(krun_add_vsock(id, 4), -EINVAL);
	CHECK_EQ(krun_disable_implicit_vsock(id), 0);
	CHECK_EQ(krun_add_vsock(id, KRUN_TSI_HIJACK_INET), -ENOTSUP); /* no TSI yet (test-vsock.c) */
	CHECK_EQ(krun_add_display(id, 800, 600), -ENOTSUP);
	CHECK_EQ(krun_display_set_edid(id, 0, NULL, 0), -ENOTSUP);
	CHECK_EQ(krun_display_set_dpi(id, 0, 96), -ENOTSUP);
	CHECK_EQ(krun_display_set_physical_size(id, 0, 1, 1), -ENOTSUP);
	CHECK_EQ(krun_display_set_refresh_rate(id, 0, 60), -ENOTSUP);
	CHECK_EQ(krun_set_display_backend(id, NULL, 0), -ENOTSUP);
	CHECK_EQ(krun_add_input_device(id, NULL, 0, NULL, 0), -ENOTSUP);
	CHECK_EQ(krun_add_input_device_fd(id, -1), -ENOTSUP);
	CHECK_EQ(krun_add_vhost_user_device(id, 4, "/s", NULL, 0, NULL), -ENOTSUP);
	CHECK_EQ(krun_free_ctx(id), 0);
	CHECK_EQ(krun_add_disk(id, "d", "/img", false), -ENOENT);
	CHECK_EQ(krun_set_gpu_options(id, 0), -ENOENT);
	CHECK_EQ(krun_add_display(id, 1, 1), -ENOENT);
	CHECK_EQ(krun_add_net_tap(id, "tap0", mac, 0, 0), -ENOENT);
	CHECK_EQ(krun_set_port_map(id, ports), -ENOENT);
	CHECK_EQ(krun_disable_implicit_vsock(id), -ENOENT);
	CHECK_EQ(krun_add_input_device_fd(id, 0), -ENOENT);
}

/* Everything configured, then freed: run under ASan (make SANITIZE=1) to prove no leaks. */
/* The legacy NIC and the implicit-network switch (upstream's -EINVAL/-ENODEV rules). */
static void test_net_legacy_and_port_map(void)
{
	uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };
	const char *ports[] = { "18080:8080", NULL };
	const char *same_guest[] = { "1:5", "2:5", NULL };
	const char *bad[][2] = { { "8080", NULL }, { ":80", NULL }, { "80:", NULL }, { "-1:80", NULL },
				 { "65536:1", NULL }, { "1:65536", NULL }, { "a:1", NULL } };
	int32_t id;
	struct krun_config *cfg = fresh(&id);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(krun_set_port_map(id, bad[i]), -EINVAL);
	CHECK_EQ(krun_set_port_map(id, same_guest), -EINVAL);
	CHECK_EQ(krun_set_passt_fd(id, 5), 0);
	CHECK_EQ(cfg->legacy_passt_fd, 5);
	CHECK_EQ(krun_add_net_unixstream(id, NULL, 3, mac, 0, 0), -EINVAL);
	cfg = fresh(&id);
	CHECK_EQ(krun_set_gvproxy_path(id, "/run/gv.sock"), 0);
	CHECK_EQ(krun_add_net_tap(id, "tap0", mac, 0, 0), -EINVAL);
	cfg = fresh(&id);
	CHECK_EQ(krun_disable_implicit_vsock(id), 0);
	CHECK_EQ(krun_set_port_map(id, ports), -ENODEV);
	CHECK_EQ(cfg->nr_port_map, 0);
}

static void test_free_full_config(void)
{
	const char *argv[] = { "a", NULL };
	int32_t id = krun_create_ctx();

	CHECK_EQ(krun_set_root(id, "/"), 0);
	CHECK_EQ(krun_fs_add_overlay_dir(id, "/dev/root", "d", 0755), 0);
	CHECK_EQ(krun_set_exec(id, "/bin/sh", argv, argv), 0);
	CHECK_EQ(krun_set_kernel(id, "/k", 0, "/i", "c"), 0);
	CHECK(krun_add_virtio_console_multiport(id) >= 0);
	CHECK_EQ(krun_add_console_port_inout(id, 0, "p", -1, -1), 0);
	CHECK_EQ(krun_free_ctx(id), 0);
}

TEST_MAIN_BEGIN("api-config")
	RUN(test_root_and_virtiofs);
	RUN(test_implicit_init);
	RUN(test_overlays);
	RUN(test_exec_env);
	RUN(test_many_args);
	RUN(test_rlimits);
	RUN(test_kernel_machine);
	RUN(test_consoles);
	RUN(test_disks);
	RUN(test_unsupported_devices);
	RUN(test_net_legacy_and_port_map);
	RUN(test_free_full_config);
TEST_MAIN_END()
