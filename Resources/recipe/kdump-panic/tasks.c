/* The two user tasks of a kdump-panic capture (static, built twice by capture.sh):
 *   spinner          (-DSPINNER) spins in user mode forever: the busy task.
 *   crasher TTY      opens TTY (raw, non-blocking) and /proc/sysrq-trigger, then
 *                    polls TTY until one byte comes and writes 'c' to sysrq-trigger.
 * Both mlockall() first and print one line with their pid, comm and CPU, so that
 * nothing faults, forks or allocates between the host's truth and the panic.
 * The CPU is chosen from outside with taskset -c N. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
#ifdef SPINNER
    (void)argc; (void)argv;
    mlockall(MCL_CURRENT | MCL_FUTURE);
    announce("BUSY");
    for (volatile unsigned long i = 0;; i++)
        ;
#else
    const char *tty = argc > 1 ? argv[1] : "/dev/ttyS1";
    int t = open(tty, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    int s = open("/proc/sysrq-trigger", O_WRONLY);
    struct termios tio;
    char c;
    if (t < 0 || s < 0) { perror("crasher: open"); return 1; }
    if (tcgetattr(t, &tio) == 0) { cfmakeraw(&tio); tcsetattr(t, TCSANOW, &tio); }
    while (read(t, &c, 1) == 1)   /* drain whatever came before */
        ;
    mlockall(MCL_CURRENT | MCL_FUTURE);
    announce("READY");
    while (read(t, &c, 1) != 1)
        ;
    write(s, "c", 1);
    return 0;
#endif
}
