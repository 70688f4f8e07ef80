/* replay.c - runs a fuzz target over files, without libFuzzer.
 *
 * Every fuzz target is also built with this main so `make test` replays
 * its corpus under ASan and UBSan: a file that crashes the target or
 * trips a sanitizer fails the run. `make fuzz` builds the same targets
 * with libFuzzer for long runs. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == 0) {
				passed++;
				printf("ok   %s\n", argv[i]);
			} else {
				failed++;
				printf("FAIL %s: unreadable\n", argv[i]);
			}
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			failed++;
			printf("FAIL %s: no such corpus\n", argv[i]);
			continue;
		}
		while ((e = readdir(d))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 e->d_name);
			if (run_file(path) == 0) {
				passed++;
				printf("ok   %s\n", path);
			} else {
				failed++;
				printf("FAIL %s: unreadable\n", path);
			}
		}
		closedir(d);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
