/* reqlog.h - the request log, written by a thread of its own (see
 * reqlog.c). */
#ifndef SL_HTTP_REQLOG_H
#define SL_HTTP_REQLOG_H

#include <stddef.h>

/* Starts the log thread writing to fd. Until then, and after stop, lines
 * are written at once. */
void sl_reqlog_start(int fd);
/* Appends one whole line (with its newline). */
void sl_reqlog_line(const char *line, size_t len);
/* Writes every line appended so far and ends the thread. */
void sl_reqlog_stop(void);

#endif
