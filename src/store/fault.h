/* fault.h - store faults on demand, for tests (built with SL_FAULTS only).
 *
 * Every store call has a name: the store function that ran it and a short
 * hash of its SQL ("sl_store_window_list#3fa2"), or "begin.read",
 * "begin.write", "commit". A test arms a fault on the Nth call, or on
 * every call of a named query, with a chosen error; the call then fails as
 * the driver would have, before it reaches the engine. The hook can also
 * trace the names of the calls made, so a test learns from the code which
 * queries a route depends on.
 *
 * Control (test builds): SHIPLOG_FAULTS names a file the daemon re-reads
 * when it changes. Each line is one directive:
 *
 *   fail [query=NAME] [nth=N] [count=C] [error=unavailable|internal|busy]
 *   io [write=full|ioerr] [sync=full|ioerr]
 *   trace
 *
 * NAME matches a whole name or the part before '#'; without query every
 * call matches. nth=N fails the Nth matching call after the file was read
 * (default 1 when count is given, else every matching call); count=C
 * fails C calls from there (default 1 with nth, else all). "trace"
 * appends each call's name, one per line, to the file's name plus
 * ".trace". "io" makes every SQLite file write or sync fail as a full
 * disk or an I/O error would, below the engine (a test VFS), until the
 * file changes. An empty or missing file disarms everything.
 *
 * In a build without SL_FAULTS every function here does nothing, so
 * nothing in a release build can reach it. */
#ifndef SL_STORE_FAULT_H
#define SL_STORE_FAULT_H

#include "core/error.h"

/* Arms the hook from directives (the control file's syntax); NULL or ""
 * disarms it. SL_EINVAL when a directive cannot be read. */
enum sl_err sl_store_fault_set(const char *directives, struct sl_error *err);

/* Called by the store before each call named fn (and sql, when a
 * statement): SL_OK to go on, or the armed error, filled into err. */
enum sl_err sl__store_fault(const char *fn, const char *sql,
			    struct sl_error *err);

/* The storage faults of "io write=full|ioerr sync=full|ioerr": what a
 * SQLite write or sync should fail with now (SL_FAULT_IO_NONE: go on).
 * faultvfs.c installs the VFS that asks, as the default, before the first
 * connection opens. */
enum { SL_FAULT_IO_WRITE, SL_FAULT_IO_SYNC };
enum { SL_FAULT_IO_NONE, SL_FAULT_IO_FULL, SL_FAULT_IO_ERROR };
int sl__store_fault_io(int op);
void sl__store_fault_vfs_install(void);

/* The calling thread's store calls are neither failed nor traced from
 * now on (a background thread's bookkeeping); storage faults ("io")
 * still reach it, as a full disk would. */
void sl_store_fault_exempt_thread(void);

/* How many calls the armed faults have failed so far. */
unsigned long sl_store_fault_hits(void);

#endif
