/* tests/unit/test-krunfw-preload.c: libkrunfw is found when libkrun is loaded, so a caller that chroots before krun_create_ctx (crun <= 1.19) still boots. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <sys/stat.h>
#include "test.h"

static int find_krunfw(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *n = info->dlpi_name, *want = "/libkrunfw.so.5";
	size_t l = strlen(n), w = strlen(want);

	(void)size;
	if (l >= w && !strcmp(n + l - w, want))
		*(int *)data = 1;
	return 0;
}

static int krunfw_mapped(void)
{
	int found = 0;

	dl_iterate_phdr(find_krunfw, &found);
	return found;
}

static void *open_libkrun(void)
{
	const char *build = getenv("BUILD");
	char path[4096];
	void *h;

	/* A relative path, like crun's SONAME lookup: nothing resolves once the root changed. */
	snprintf(path, sizeof(path), "%s/libkrun.so.1", build && *build ? build : "build");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		printf("  dlopen %s: %s\n", path, dlerror());
	return h;
}

static void test_mapped_when_loaded(void)
{
	CHECK(!krunfw_mapped());
	CHECK(open_libkrun() != NULL);
	CHECK(krunfw_mapped());
}

/* In a child: enter the empty root (dir), then krun_create_ctx must still find libkrunfw. */
static int create_after_chroot(void *h, const char *dir)
{
	int32_t (*create)(void) = (int32_t (*)(void))dlsym(h, "krun_create_ctx");

	if (chroot(dir) || chdir("/"))
		return 2;
	return create && create() >= 0 && krunfw_mapped() ? 0 : 1;
}

/* crun <= 1.19: load libkrun, enter the container's root, then krun_create_ctx. */
static void test_create_ctx_after_chroot(void)
{
	char dir[] = "/tmp/krunfw-preload.XXXXXX";
	int status = -1;
	pid_t pid;
	void *h;

	if (geteuid() != 0)
		SKIP_TEST("chroot needs root");
	h = open_libkrun();
	CHECK(h != NULL);
	if (!h || !mkdtemp(dir))
		return;
	pid = fork();
	if (pid == 0)
		_exit(create_after_chroot(h, dir));
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rmdir(dir);
}

TEST_MAIN_BEGIN("krunfw-preload")
	RUN(test_mapped_when_loaded);
	RUN(test_create_ctx_after_chroot);
TEST_MAIN_END()
