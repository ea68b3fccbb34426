#ifndef CMONGOC_ABI_CHECK_H
#define CMONGOC_ABI_CHECK_H
#include <stddef.h>

/* Compares Sources/CMongoC's declarations with the installed <mongoc/mongoc.h>: struct sizes,
   alignments and field offsets, enum values, constants and every function's prototype.
   Writes the names of the declarations that differ (space-separated, NUL-terminated, cut at
   `capacity` bytes) to `out` and returns how many differ (0: they match). */
int cmongoc_abi_mismatches(char *out, size_t capacity);

/* How many declarations were compared (to show the check is not empty). */
int cmongoc_abi_checked_count(void);

/* The installed headers' version text (MONGOC_VERSION_S), for messages. */
const char *cmongoc_abi_header_version(void);
#endif
