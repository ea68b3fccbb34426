#ifndef CMONGOC_SHIM_H
#define CMONGOC_SHIM_H
#include <mongoc/mongoc.h>
#include <bson/bson.h>
#include <stdlib.h>

/* bson_t and bson_iter_t are declared 128-byte aligned, so Swift sees them as opaque: these helpers
   allocate aligned storage for them and read the two fields we need. */

/* C11 aligned_alloc wants the size to be a multiple of the alignment; libbson's structs may
   be smaller than 128 bytes when built without BSON_EXTRA_ALIGN. */
static inline void *cmongoc_aligned_zalloc(size_t size) {
    size_t rounded = (size + 127) & ~(size_t) 127;
    void *p = aligned_alloc(128, rounded);
    if (p) memset(p, 0, rounded);
    return p;
}

/* Aligned, zeroed storage for a bson_t (a child document or a reply); free with
   cmongoc_storage_free after bson_destroy. */
static inline bson_t *cmongoc_bson_storage_new(void) {
    return (bson_t *) cmongoc_aligned_zalloc(sizeof(bson_t));
}

/* Aligned, zeroed storage for a bson_iter_t. */
static inline bson_iter_t *cmongoc_iter_storage_new(void) {
    return (bson_iter_t *) cmongoc_aligned_zalloc(sizeof(bson_iter_t));
}

static inline void cmongoc_storage_free(void *p) { free(p); }

/* Encoded length of a document in bytes. */
static inline uint32_t cmongoc_bson_length(const bson_t *b) { return b->len; }

/* Offset of the first corrupt byte an iterator met, or 0. */
static inline uint32_t cmongoc_iter_error_offset(const bson_iter_t *it) { return it->err_off; }

#endif
