#ifndef CMONGOC_H
#define CMONGOC_H
/* The libbson/libmongoc functions CeleryMongo calls, through a table filled by dlopen/dlsym on
   first use (cmongoc.c), so a program that never opens a mongodb:// URL neither links nor maps
   libmongoc (and the OpenSSL, SASL, ICU… it loads). Each function keeps its libmongoc name and
   prototype as a static inline wrapper over the table. */
#include "cmongoc_types.h"

#include "cmongoc_bson_functions.h"
#include "cmongoc_mongoc_functions.h"

/* One function pointer per function, named as the function. */
#define CMONGOC_FIELD(ret, name, params, args) ret (*name) params;
#define CMONGOC_VFIELD(name, params, args) void (*name) params;
struct cmongoc_api {
    CMONGOC_BSON_FUNCTIONS(CMONGOC_FIELD, CMONGOC_VFIELD)
    CMONGOC_MONGOC_FUNCTIONS(CMONGOC_FIELD, CMONGOC_VFIELD)
};
#undef CMONGOC_FIELD
#undef CMONGOC_VFIELD

/* The table (all NULL until loaded) and whether it is filled (read with acquire ordering). */
extern struct cmongoc_api cmongoc_table;
extern int cmongoc_loaded;

/* Loads libbson and libmongoc (dlopen RTLD_NOW|RTLD_LOCAL; paths from the environment variables
   CELERY_LIBBSON and CELERY_LIBMONGOC, default libbson-1.0.so.0 and libmongoc-1.0.so.0), looks
   up every function once and calls mongoc_init(). Thread-safe; runs once per process. Returns
   NULL when the libraries are loaded, else the reason they are not (the same text on every
   later call). */
const char *cmongoc_load(void);

/* The table; loads it if nobody did (CeleryMongo calls cmongoc_load before anything else, so
   a failure here is a programming error: it prints the reason and aborts). */
void cmongoc_load_or_abort(void);
static inline const struct cmongoc_api *cmongoc_api(void) {
    if (__builtin_expect(!__atomic_load_n(&cmongoc_loaded, __ATOMIC_ACQUIRE), 0)) cmongoc_load_or_abort();
    return &cmongoc_table;
}

#ifndef CMONGOC_ABI_CHECK
#define CMONGOC_WRAPPER(ret, name, params, args) \
    static inline ret name params { return cmongoc_api()->name args; }
#define CMONGOC_VWRAPPER(name, params, args) \
    static inline void name params { cmongoc_api()->name args; }
CMONGOC_BSON_FUNCTIONS(CMONGOC_WRAPPER, CMONGOC_VWRAPPER)
CMONGOC_MONGOC_FUNCTIONS(CMONGOC_WRAPPER, CMONGOC_VWRAPPER)
#undef CMONGOC_WRAPPER
#undef CMONGOC_VWRAPPER

/* Aligned, zeroed storage for a bson_t (a child document or a reply) or a bson_iter_t; free
   with cmongoc_storage_free (after bson_destroy for a bson_t). NULL when out of memory. */
bson_t *cmongoc_bson_storage_new(void);
bson_iter_t *cmongoc_iter_storage_new(void);
void cmongoc_storage_free(void *p);

/* Encoded length of a document in bytes (bson_t.len). */
static inline uint32_t cmongoc_bson_length(const bson_t *b) {
    return *(const uint32_t *) ((const char *) b + CMONGOC_BSON_LEN_OFFSET);
}

/* Offset of the first corrupt byte an iterator met, or 0 (bson_iter_t.err_off). */
static inline uint32_t cmongoc_iter_error_offset(const bson_iter_t *it) {
    return *(const uint32_t *) ((const char *) it + CMONGOC_BSON_ITER_ERR_OFF_OFFSET);
}
#endif

#endif
