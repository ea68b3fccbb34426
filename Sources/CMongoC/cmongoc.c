/* Loads libbson and libmongoc on first use and fills cmongoc_table (see include/cmongoc.h). */
#include "cmongoc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmongoc_api cmongoc_table;
int cmongoc_loaded;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[1024];

static const char *library_path(const char *variable, const char *fallback) {
    const char *value = getenv(variable);
    return value && *value ? value : fallback;
}

/* Opens one library; on failure records why (dlerror names the file) and returns NULL. */
static void *open_library(const char *variable, const char *fallback) {
    const char *path = library_path(variable, fallback);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error,
                 "mongodb:// needs libmongoc-1.0 (apt-get install libmongoc-1.0-0): cannot load %s: %s", path,
                 reason ? reason : "unknown error");
    }
    return handle;
}

/* Looks a function up; on failure records its name (an older or incompatible library). */
static int resolve(void *handle, const char *name, void **slot, const char *library) {
    dlerror();
    *slot = dlsym(handle, name);
    if (*slot) return 1;
    snprintf(load_error, sizeof load_error,
             "mongodb:// needs libmongoc-1.0 (apt-get install libmongoc-1.0-0): %s has no %s (too old, or not libmongoc 1.x)", library,
             name);
    return 0;
}

static void load(void) {
    void *bson = open_library("CELERY_LIBBSON", "libbson-1.0.so.0");
    if (!bson) return;
    void *mongoc = open_library("CELERY_LIBMONGOC", "libmongoc-1.0.so.0");
    if (!mongoc) return;
    struct cmongoc_api table;
    memset(&table, 0, sizeof table);
    const char *bson_name = library_path("CELERY_LIBBSON", "libbson-1.0.so.0");
    const char *mongoc_name = library_path("CELERY_LIBMONGOC", "libmongoc-1.0.so.0");
#define CMONGOC_RESOLVE_BSON(ret, name, params, args) \
    if (!resolve(bson, #name, (void **) &table.name, bson_name)) return;
#define CMONGOC_RESOLVE_BSON_V(name, params, args) CMONGOC_RESOLVE_BSON(void, name, params, args)
#define CMONGOC_RESOLVE_MONGOC(ret, name, params, args) \
    if (!resolve(mongoc, #name, (void **) &table.name, mongoc_name)) return;
#define CMONGOC_RESOLVE_MONGOC_V(name, params, args) CMONGOC_RESOLVE_MONGOC(void, name, params, args)
    CMONGOC_BSON_FUNCTIONS(CMONGOC_RESOLVE_BSON, CMONGOC_RESOLVE_BSON_V)
    CMONGOC_MONGOC_FUNCTIONS(CMONGOC_RESOLVE_MONGOC, CMONGOC_RESOLVE_MONGOC_V)
    table.mongoc_init();
    cmongoc_table = table;
    __atomic_store_n(&cmongoc_loaded, 1, __ATOMIC_RELEASE);
}

const char *cmongoc_load(void) {
    pthread_once(&load_once, load);
    return __atomic_load_n(&cmongoc_loaded, __ATOMIC_ACQUIRE) ? NULL : load_error;
}

void cmongoc_load_or_abort(void) {
    const char *error = cmongoc_load();
    if (error) {
        fprintf(stderr, "CMongoC: libmongoc used before it was loaded: %s\n", error);
        abort();
    }
}

/* C11 aligned_alloc wants the size to be a multiple of the alignment. */
static void *aligned_zalloc(size_t size) {
    size_t rounded = (size + CMONGOC_BSON_ALIGN - 1) & ~(size_t) (CMONGOC_BSON_ALIGN - 1);
    void *p = aligned_alloc(CMONGOC_BSON_ALIGN, rounded);
    if (p) memset(p, 0, rounded);
    return p;
}

bson_t *cmongoc_bson_storage_new(void) { return (bson_t *) aligned_zalloc(CMONGOC_BSON_SIZE); }

bson_iter_t *cmongoc_iter_storage_new(void) { return (bson_iter_t *) aligned_zalloc(CMONGOC_BSON_ITER_SIZE); }

void cmongoc_storage_free(void *p) { free(p); }
