/* test_reqlog.c - the request log thread: every line appended by several
 * threads is written once, whole, in each thread's order, also when the
 * buffer fills faster than it is written; a stop writes everything. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "http/reqlog.h"
#include "test.h"

#define THREADS 4
#define LINES	20000 /* 4 x 20000 lines of ~60 bytes: several buffers */

static void *writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	char line[128];

	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"thread\":%d,\"n\":%d,\"pad\":\"%040d\"}\n",
				 t, i, i);
		sl_reqlog_line(line, (size_t)n);
	}
	return NULL;
}

TEST(lines_from_threads_arrive_whole_once_and_in_order)
{
	char path[] = "/tmp/shiplog-reqlog-XXXXXX";
	int fd = mkstemp(path);
	pthread_t th[THREADS];
	int next[THREADS] = {0}, bad = 0, total = 0, t, n;
	char line[256], pad[64];
	FILE *f;

	SL_ASSERT(fd >= 0);
	sl_reqlog_start(fd);
	for (intptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	sl_reqlog_stop();
	/* After the stop, lines go straight out. */
	sl_reqlog_line("{\"after\":1}\n", 12);
	close(fd);

	f = fopen(path, "r");
	SL_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "{\"thread\":%d,\"n\":%d,\"pad\":\"%40[0-9]\"}", &t,
			   &n, pad) != 3 ||
		    t < 0 || t >= THREADS || n != next[t] || atoi(pad) != n) {
			if (strcmp(line, "{\"after\":1}\n") != 0)
				bad++;
			continue;
		}
		next[t]++;
		total++;
	}
	fclose(f);
	unlink(path);
	CHECK_INT(bad, 0);
	CHECK_INT(total, THREADS * LINES);
	for (int i = 0; i < THREADS; i++)
		CHECK_INT(next[i], LINES);
}

TEST_MAIN(T(lines_from_threads_arrive_whole_once_and_in_order))
