/*
 * /init of the debian-stock-arm64 initramfs: loads the modules named in
 * /lib/modules/order (qemu_fw_cfg, which the stock kernel builds as a module and
 * which hands the VMCOREINFO note's address to QEMU's -device vmcoreinfo), then
 * execs /init2, which is ../lib/init.c unchanged (so PID 1's maps are its own).
 *   aarch64-linux-gnu-gcc -static -O2 -o init modload.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char name[128], path[256];
	FILE *f = fopen("/lib/modules/order", "r");
	if (!f) {
		printf("init: no /lib/modules/order\n");
	} else {
		while (fscanf(f, "%127s", name) == 1) {
			snprintf(path, sizeof path, "/lib/modules/%s.ko", name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
				printf("init: insmod %s: %s\n", name, strerror(errno));
			else
				printf("init: insmod %s: ok\n", name);
			if (fd >= 0)
				close(fd);
		}
		fclose(f);
	}
	fflush(stdout);
	char *argv[] = { "/init2", NULL };
	execv("/init2", argv);
	printf("init: exec /init2: %s\n", strerror(errno));
	return 1;
}
