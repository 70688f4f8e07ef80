/* reqlog.c - the request log, written by a thread of its own.
 *
 * One JSON line per request at a hundred thousand requests a second is
 * megabytes a second; a write(2) per line cost a system call each, and a
 * write that the kernel holds back while it flushes dirty pages stalled
 * every request of that thread. Request threads now append their line to
 * a buffer under a lock; the log thread swaps it for an empty one and
 * writes the whole of it with one call, then waits a few milliseconds so
 * the next write carries many lines. Lines keep the order in which they
 * were appended and are never dropped: when the disk falls behind and the
 * buffer is full, request threads wait for room. A kill -9 loses the lines
 * of the last few milliseconds; a clean stop writes everything. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "http/reqlog.h"

#define BUF_SIZE (1 << 20)
#define BATCH_NS 5000000 /* how long the thread lets lines gather */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake, room;
	pthread_t thread;
	char *fill,
		*spare; /* request threads fill one, the thread writes one */
	size_t len;
	int fd, running, stop, idle;
} lg = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
	.fd = -1};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return; /* nowhere left to say it */
		p += w;
		n -= (size_t)w;
	}
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lg.lock);
	for (;;) {
		char *out;
		size_t n;

		while (!lg.len && !lg.stop) {
			lg.idle = 1;
			pthread_cond_wait(&lg.wake, &lg.lock);
			lg.idle = 0;
		}
		if (!lg.len && lg.stop)
			break;
		if (!lg.stop) {
			/* Let more lines join this write. */
			struct timespec nap = {0, BATCH_NS};

			pthread_mutex_unlock(&lg.lock);
			nanosleep(&nap, NULL);
			pthread_mutex_lock(&lg.lock);
		}
		out = lg.fill;
		n = lg.len;
		lg.fill = lg.spare;
		lg.spare = out;
		lg.len = 0;
		pthread_cond_broadcast(&lg.room);
		pthread_mutex_unlock(&lg.lock);
		write_all(lg.fd, out, n);
		pthread_mutex_lock(&lg.lock);
	}
	pthread_mutex_unlock(&lg.lock);
	return NULL;
}

void sl_reqlog_start(int fd)
{
	pthread_mutex_lock(&lg.lock);
	if (lg.running) {
		pthread_mutex_unlock(&lg.lock);
		return;
	}
	lg.fill = sl_xmalloc(BUF_SIZE);
	lg.spare = sl_xmalloc(BUF_SIZE);
	lg.len = 0;
	lg.fd = fd;
	lg.stop = 0;
	lg.running = pthread_create(&lg.thread, NULL, run, NULL) == 0;
	pthread_mutex_unlock(&lg.lock);
}

void sl_reqlog_line(const char *line, size_t len)
{
	pthread_mutex_lock(&lg.lock);
	if (!lg.running || len > BUF_SIZE) {
		pthread_mutex_unlock(&lg.lock);
		write_all(lg.fd >= 0 ? lg.fd : STDERR_FILENO, line, len);
		return;
	}
	while (lg.len + len > BUF_SIZE)
		pthread_cond_wait(&lg.room, &lg.lock);
	memcpy(lg.fill + lg.len, line, len);
	lg.len += len;
	if (lg.idle) {
		lg.idle = 0;
		pthread_cond_signal(&lg.wake);
	}
	pthread_mutex_unlock(&lg.lock);
}

void sl_reqlog_stop(void)
{
	pthread_mutex_lock(&lg.lock);
	if (!lg.running) {
		pthread_mutex_unlock(&lg.lock);
		return;
	}
	lg.stop = 1;
	pthread_cond_signal(&lg.wake);
	pthread_mutex_unlock(&lg.lock);
	pthread_join(lg.thread, NULL);
	pthread_mutex_lock(&lg.lock);
	lg.running = 0;
	free(lg.fill);
	free(lg.spare);
	lg.fill = lg.spare = NULL;
	pthread_mutex_unlock(&lg.lock);
}
