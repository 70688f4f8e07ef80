/* assets.h - the dashboard's files, built from web/ and compiled into the
 * daemon (scripts/embed-assets.mjs writes the table at build time). */
#ifndef SL_HTTP_ASSETS_H
#define SL_HTTP_ASSETS_H

#include <stddef.h>

struct sl_asset {
	const char *path; /* "/index.html", "/assets/app-<hash>.js" */
	const char *type; /* its media type */
	const char *raw;
	size_t raw_len;
	const char *gz; /* the same bytes, gzipped */
	size_t gz_len;
};

/* Ended by a row of zeros. */
extern const struct sl_asset sl_assets[];
extern const unsigned long sl_assets_count;

#endif
