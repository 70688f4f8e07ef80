/* fault.c - store faults on demand, for tests (see fault.h). */
#include "store/fault.h"

#ifdef SL_FAULTS

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RULES 16

struct rule {
	char query[128]; /* "" = every call */
	unsigned long nth, count, seen, failed;
	enum sl_err code;
	const char *why;
};

static struct {
	pthread_mutex_t mu;
	int init;
	const char *path; /* the control file, or NULL */
	int manual;	  /* armed by sl_store_fault_set: no file */
	struct stat st;	  /* the control file as last read */
	struct rule rules[MAX_RULES];
	size_t nrules;
	FILE *trace;
	int io[2]; /* SL_FAULT_IO_* for writes and syncs */
	unsigned long hits;
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

static __thread int exempt;

static int have_file;
static void look_for_file(void)
{
	const char *p = getenv("SHIPLOG_FAULTS");

	have_file = p && *p;
}

/* 1 when anything could be armed: a control file is named or a test
 * armed the hook directly. Without either, a store call costs no lock. */
static int armable(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, look_for_file);
	return have_file || __atomic_load_n(&F.manual, __ATOMIC_RELAXED);
}

void sl_store_fault_exempt_thread(void)
{
	exempt = 1;
}

static int parse_code(const char *s, enum sl_err *code, const char **why)
{
	if (strcmp(s, "unavailable") == 0) {
		*code = SL_EUNAVAIL;
		*why = "the database is unavailable (injected fault)";
	} else if (strcmp(s, "busy") == 0) {
		*code = SL_EUNAVAIL;
		*why = "the database is busy (injected fault)";
	} else if (strcmp(s, "internal") == 0) {
		*code = SL_EINTERNAL;
		*why = "the statement failed (injected fault)";
	} else {
		return -1;
	}
	return 0;
}

/* Parses one line into r; -1 when it is not a fail directive. */
static int parse_fail(char *line, struct rule *r, struct sl_error *err)
{
	int have_nth = 0, have_count = 0;
	char *save = NULL, *w;

	memset(r, 0, sizeof(*r));
	r->code = SL_EUNAVAIL;
	r->why = "the database is unavailable (injected fault)";
	strtok_r(line, " \t", &save); /* "fail" */
	while ((w = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(w, '=');

		if (!eq)
			return sl_error_set(err, SL_EINVAL, "fault",
					    "'%s' is not key=value", w),
			       -1;
		*eq++ = '\0';
		if (strcmp(w, "query") == 0) {
			snprintf(r->query, sizeof(r->query), "%s", eq);
		} else if (strcmp(w, "nth") == 0) {
			r->nth = strtoul(eq, NULL, 10);
			have_nth = 1;
		} else if (strcmp(w, "count") == 0) {
			r->count = strtoul(eq, NULL, 10);
			have_count = 1;
		} else if (strcmp(w, "error") == 0) {
			if (parse_code(eq, &r->code, &r->why))
				return sl_error_set(err, SL_EINVAL, "fault",
						    "unknown error '%s'", eq),
				       -1;
		} else {
			return sl_error_set(err, SL_EINVAL, "fault",
					    "unknown key '%s'", w),
			       -1;
		}
	}
	if (!have_nth || r->nth == 0)
		r->nth = 1;
	if (!have_count)
		r->count = have_nth ? 1 : 0;
	return 0;
}

/* Parses "write=full sync=ioerr" into F.io; -1 when it cannot. */
static int parse_io(char *words, struct sl_error *err)
{
	char *save = NULL, *w;

	while ((w = strtok_r(words, " \t", &save))) {
		int op, what;

		words = NULL;
		if (strncmp(w, "write=", 6) == 0)
			op = SL_FAULT_IO_WRITE;
		else if (strncmp(w, "sync=", 5) == 0)
			op = SL_FAULT_IO_SYNC;
		else
			return sl_error_set(err, SL_EINVAL, "fault",
					    "unknown io fault '%s'", w),
			       -1;
		w = strchr(w, '=') + 1;
		if (strcmp(w, "full") == 0)
			what = SL_FAULT_IO_FULL;
		else if (strcmp(w, "ioerr") == 0)
			what = SL_FAULT_IO_ERROR;
		else
			return sl_error_set(err, SL_EINVAL, "fault",
					    "unknown io error '%s'", w),
			       -1;
		F.io[op] = what;
	}
	return 0;
}

/* Replaces the armed rules with text's; caller holds the lock. */
static enum sl_err load(const char *text, const char *trace_path,
			struct sl_error *err)
{
	char *copy = sl_xstrdup(text ? text : ""), *save = NULL, *line;
	enum sl_err rc = SL_OK;
	int trace = 0;

	F.nrules = 0;
	F.hits = 0;
	F.io[0] = F.io[1] = SL_FAULT_IO_NONE;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "trace", 5) == 0) {
			trace = 1;
		} else if (strncmp(line, "io", 2) == 0 &&
			   (line[2] == ' ' || line[2] == '\t')) {
			if (parse_io(line + 2, err)) {
				rc = SL_EINVAL;
				break;
			}
		} else if (strncmp(line, "fail", 4) == 0 &&
			   F.nrules < MAX_RULES) {
			if (parse_fail(line, &F.rules[F.nrules], err)) {
				rc = SL_EINVAL;
				F.nrules = 0;
				break;
			}
			F.nrules++;
		} else {
			rc = sl_error_set(err, SL_EINVAL, "fault",
					  "unknown directive '%s'", line);
			F.nrules = 0;
			break;
		}
	}
	free(copy);
	if (F.trace && !trace) {
		fclose(F.trace);
		F.trace = NULL;
	}
	if (trace && !F.trace && trace_path) {
		char p[4096];

		snprintf(p, sizeof(p), "%s.trace", trace_path);
		F.trace = fopen(p, "a");
	}
	return rc;
}

/* Re-reads the control file when it changed; caller holds the lock. */
static void refresh(void)
{
	struct stat st;
	FILE *f;
	char buf[8192];
	size_t n = 0;

	if (!F.init) {
		F.init = 1;
		F.path = getenv("SHIPLOG_FAULTS");
		if (F.path && !*F.path)
			F.path = NULL;
	}
	if (F.manual || !F.path)
		return;
	if (stat(F.path, &st) != 0) {
		if (F.st.st_ino || F.nrules || F.trace) {
			memset(&F.st, 0, sizeof(F.st));
			load(NULL, NULL, NULL);
		}
		return;
	}
	if (st.st_ino == F.st.st_ino && st.st_size == F.st.st_size &&
	    st.st_mtim.tv_sec == F.st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == F.st.st_mtim.tv_nsec)
		return;
	F.st = st;
	f = fopen(F.path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if (load(buf, F.path, NULL))
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"the fault "
				"file cannot be read; no fault is armed\"}\n");
}

static int matches(const struct rule *r, const char *name)
{
	size_t n = strlen(r->query);

	if (!n)
		return 1;
	return strncmp(name, r->query, n) == 0 &&
	       (name[n] == '\0' || name[n] == '#');
}

enum sl_err sl__store_fault(const char *fn, const char *sql,
			    struct sl_error *err)
{
	char name[160];
	enum sl_err rc = SL_OK;

	if (exempt || !armable())
		return SL_OK;
	pthread_mutex_lock(&F.mu);
	refresh();
	if (!F.nrules && !F.trace) {
		pthread_mutex_unlock(&F.mu);
		return SL_OK;
	}
	if (sql) {
		uint32_t h = 2166136261u;

		for (const char *p = sql; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		snprintf(name, sizeof(name), "%s#%04x", fn,
			 (unsigned)((h ^ (h >> 16)) & 0xffff));
	} else {
		snprintf(name, sizeof(name), "%s", fn);
	}
	if (F.trace) {
		fprintf(F.trace, "%s\n", name);
		fflush(F.trace);
	}
	for (size_t i = 0; i < F.nrules && !rc; i++) {
		struct rule *r = &F.rules[i];

		if (!matches(r, name))
			continue;
		r->seen++;
		if (r->seen < r->nth || (r->count && r->failed >= r->count))
			continue;
		r->failed++;
		F.hits++;
		rc = sl_error_set(err, r->code, "", "%s [%s]", r->why, name);
	}
	pthread_mutex_unlock(&F.mu);
	return rc;
}

enum sl_err sl_store_fault_set(const char *directives, struct sl_error *err)
{
	enum sl_err rc;

	pthread_mutex_lock(&F.mu);
	F.init = 1;
	__atomic_store_n(&F.manual, directives && *directives,
			 __ATOMIC_RELAXED);
	rc = load(directives, NULL, err);
	pthread_mutex_unlock(&F.mu);
	return rc;
}

int sl__store_fault_io(int op)
{
	int what;

	if (!armable())
		return SL_FAULT_IO_NONE;
	pthread_mutex_lock(&F.mu);
	refresh();
	what = F.io[op];
	pthread_mutex_unlock(&F.mu);
	return what;
}

unsigned long sl_store_fault_hits(void)
{
	unsigned long n;

	pthread_mutex_lock(&F.mu);
	n = F.hits;
	pthread_mutex_unlock(&F.mu);
	return n;
}

#else

enum sl_err sl_store_fault_set(const char *directives, struct sl_error *err)
{
	if (!directives || !*directives)
		return SL_OK;
	return sl_error_set(err, SL_EINVAL, "fault",
			    "this build has no fault injection");
}

enum sl_err sl__store_fault(const char *fn, const char *sql,
			    struct sl_error *err)
{
	(void)fn;
	(void)sql;
	(void)err;
	return SL_OK;
}

unsigned long sl_store_fault_hits(void)
{
	return 0;
}

void sl_store_fault_exempt_thread(void)
{
}

int sl__store_fault_io(int op)
{
	(void)op;
	return 0;
}

#endif
