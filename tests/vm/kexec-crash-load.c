/* Test helper for tests/vm/e2e-capture-vmcore.sh, run inside the guest:
 * loads KERNEL + INITRD as the crash (capture) kernel with
 * kexec_file_load(..., KEXEC_FILE_ON_CRASH), the call behind `kexec -s -p`.
 * Built static on the host so it needs nothing in the busybox initramfs.
 * usage: kexec-crash-load KERNEL INITRD CMDLINE */
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE\n", argv[0]);
    return 2;
  }
  int kernel = open(argv[1], O_RDONLY | O_CLOEXEC);
  int initrd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (kernel < 0 || initrd < 0) {
    perror("open");
    return 1;
  }
  /* cmdline_len counts the terminating NUL. */
  if (syscall(SYS_kexec_file_load, kernel, initrd, strlen(argv[3]) + 1, argv[3],
              KEXEC_FILE_ON_CRASH) != 0) {
    perror("kexec_file_load");
    return 1;
  }
  return 0;
}
