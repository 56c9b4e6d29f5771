/*
 * churn: keep the kernel allocating and freeing vmalloc'd kernel stacks
 * (CONFIG_VMAP_STACK) until SIGTERM, so that the vmalloc page tables change
 * while kptdump walks them.
 *
 * Usage: churn [THREADS [PROCS [CPU]]]     defaults: 200 100 1
 *
 * Each round:
 *   1. creates THREADS threads at once (each waits at a barrier until all
 *      exist, so THREADS kernel stacks are live together), then lets them exit
 *      and joins them;
 *   2. forks PROCS processes at once (each blocks on a pipe until the last one
 *      is forked), then lets them exit and reaps them.
 * The kernel keeps only NR_CACHED_STACKS (2) freed stacks per CPU; every other
 * stack is vfree()d (its PTEs cleared) and the next ones vmalloc()ed afresh,
 * often at other addresses, so each round maps and unmaps a few hundred 16K
 * areas (plus guard pages) in the vmalloc area.
 *
 * The process pins itself (and so its threads and children) to CPU (default
 * 1) when the machine has more than one CPU, so that kptdump, on CPU 0, runs
 * truly concurrently with it. On SIGTERM it finishes the round and prints
 *   churn: R rounds, T threads, P processes, S s
 * on stderr; with SIGUSR1 it prints the same line and goes on.
 *
 * Build: gcc -static -O2 -Wall -pthread -o churn churn.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop, report;
static pthread_barrier_t barrier;

static void on_term(int sig) { (void)sig; stop = 1; }
static void on_usr1(int sig) { (void)sig; report = 1; }

static void *thread_main(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 200;
	int nprocs = argc > 2 ? atoi(argv[2]) : 100;
	int cpu = argc > 3 ? atoi(argv[3]) : 1;

	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0)
			fprintf(stderr, "churn: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
	pid_t *pids = calloc((size_t)nprocs, sizeof *pids);

	long rounds = 0, threads = 0, procs = 0, failures = 0;
	double t0 = now();
	fprintf(stderr, "churn: started, %d threads and %d processes a round, on CPU %d\n",
		nthreads, nprocs, sched_getcpu());
	while (!stop) {
		/* Threads. */
		pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
		int made = 0;
		for (; made < nthreads; made++) {
			int e = pthread_create(&tids[made], &attr, thread_main, NULL);
			if (e) {
				failures++;
				break;
			}
		}
		if (made < nthreads) {
			/* Could not create them all: release the ones waiting. */
			pthread_barrier_destroy(&barrier);
			fprintf(stderr, "churn: only %d threads created\n", made);
			/* The barrier is broken; the threads would wait forever. */
			_exit(3);
		}
		pthread_barrier_wait(&barrier);
		for (int i = 0; i < made; i++)
			pthread_join(tids[i], NULL);
		pthread_barrier_destroy(&barrier);
		threads += made;

		/* Processes. */
		int fds[2];
		if (pipe(fds) != 0) {
			failures++;
			continue;
		}
		int forked = 0;
		for (; forked < nprocs; forked++) {
			pid_t p = fork();
			if (p == 0) {
				char c;
				close(fds[1]);
				while (read(fds[0], &c, 1) < 0 && errno == EINTR)
					;
				_exit(0);
			}
			if (p < 0) {
				failures++;
				break;
			}
			pids[forked] = p;
		}
		close(fds[1]);
		close(fds[0]);
		for (int i = 0; i < forked; i++)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		procs += forked;
		rounds++;
		if (report) {
			report = 0;
			fprintf(stderr, "churn: %ld rounds, %ld threads, %ld processes, %ld failures, %.1f s\n",
				rounds, threads, procs, failures, now() - t0);
		}
	}
	fprintf(stderr, "churn: %ld rounds, %ld threads, %ld processes, %ld failures, %.1f s\n",
		rounds, threads, procs, failures, now() - t0);
	return failures ? 1 : 0;
}
