/* The crasher of a kdump-custom capture (static; the spinner is ../kdump-panic/tasks.c).
 *
 *   ptcrasher TTY
 *
 * Before READY: opens TTY (raw, non-blocking), /proc/sysrq-trigger and, twice for
 * `kernel`, the kernel's own /sys/kernel/debug/page_tables/{kernel,current_kernel,
 * current_user}; allocates one 32 MiB buffer per reading, touches every page, and
 * mlockall()s, so that nothing after READY faults or allocates in user space.
 * Prints `READY pid= comm= cpu=`, then polls TTY until one byte comes (the host's
 * release, after its QMP truth). Then, on its own CPU (taskset by init), it reads
 * kernel, current_kernel, current_user and kernel again, each fully into its
 * buffer before anything is printed; then prints each reading between
 *   ===== BEGIN NAME bytes=N =====   and   ===== END NAME =====
 * (NAME: kernel, current_kernel, current_user, kernel-2), one line saying whether
 * the two readings of `kernel` are byte-identical, waits until the console has sent
 * it all (tcdrain), and writes 'c' to /proc/sysrq-trigger. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#define CAP (32u << 20)
#define PT "/sys/kernel/debug/page_tables/"

struct reading { const char *name, *path; int fd; char *buf; size_t len; };

static struct reading rd[] = {
    { "kernel", PT "kernel", -1, 0, 0 },
    { "current_kernel", PT "current_kernel", -1, 0, 0 },
    { "current_user", PT "current_user", -1, 0, 0 },
    { "kernel-2", PT "kernel", -1, 0, 0 },
};
#define N (sizeof rd / sizeof rd[0])

static void announce(const char *what)
{
    char comm[32] = "?";
    int fd = open("/proc/self/comm", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, comm, sizeof comm - 1);
        if (n > 0) comm[n - (comm[n - 1] == '\n')] = 0;
        close(fd);
    }
    printf("%s pid=%d comm=%s cpu=%d\n", what, getpid(), comm, sched_getcpu());
    fflush(stdout);
}

static void put(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(1, p, n);
        if (w <= 0) continue;
        p += w; n -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    const char *tty = argc > 1 ? argv[1] : "/dev/ttyS1";
    int t = open(tty, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    int s = open("/proc/sysrq-trigger", O_WRONLY);
    struct termios tio;
    char c, line[160];
    if (t < 0 || s < 0) { perror("ptcrasher: open"); return 1; }
    for (size_t i = 0; i < N; i++) {
        rd[i].fd = open(rd[i].path, O_RDONLY);
        if (rd[i].fd < 0) { perror(rd[i].path); return 1; }
        rd[i].buf = mmap(0, CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (rd[i].buf == MAP_FAILED) { perror("mmap"); return 1; }
        memset(rd[i].buf, 0, CAP);
    }
    if (tcgetattr(t, &tio) == 0) { cfmakeraw(&tio); tcsetattr(t, TCSANOW, &tio); }
    while (read(t, &c, 1) == 1)   /* drain whatever came before */
        ;
    if (mlockall(MCL_CURRENT | MCL_FUTURE)) perror("mlockall");
    announce("READY");
    while (read(t, &c, 1) != 1)
        ;
    int cpu0 = sched_getcpu();
    for (size_t i = 0; i < N; i++) {
        ssize_t r;
        while ((r = read(rd[i].fd, rd[i].buf + rd[i].len, CAP - rd[i].len)) > 0)
            rd[i].len += (size_t)r;
    }
    int cpu1 = sched_getcpu();
    for (size_t i = 0; i < N; i++) {
        int n = snprintf(line, sizeof line, "===== BEGIN %s bytes=%zu =====\n", rd[i].name, rd[i].len);
        put(line, (size_t)n);
        put(rd[i].buf, rd[i].len);
        n = snprintf(line, sizeof line, "===== END %s =====\n", rd[i].name);
        put(line, (size_t)n);
    }
    int same = rd[0].len == rd[3].len && !memcmp(rd[0].buf, rd[3].buf, rd[0].len);
    int n = snprintf(line, sizeof line, "READINGS kernel %s kernel-2 (%zu, %zu bytes); read on cpu %d..%d; PANIC NOW\n",
                     same ? "==" : "!=", rd[0].len, rd[3].len, cpu0, cpu1);
    put(line, (size_t)n);
    tcdrain(1);
    write(s, "c", 1);
    return 0;
}
