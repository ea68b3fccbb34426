/* Compares Sources/CMongoC's own declarations with the installed libmongoc headers: the real
   headers first, then ours with CMONGOC_ABI_CHECK defined, so that our types carry the prefix
   cmongoc_own_ and the function lists are spelled with the real types. */
#include <mongoc/mongoc.h>

#define CMONGOC_ABI_CHECK 1
#include "cmongoc.h"
#include "cmongoc_abi_check.h"

#include <stddef.h>
#include <string.h>

struct report {
    char *out;
    size_t capacity, used;
    int checked, mismatched;
};

static void check(struct report *r, int same, const char *name) {
    r->checked++;
    if (same) return;
    r->mismatched++;
    size_t n = strlen(name);
    if (r->out && r->used + n + 2 <= r->capacity) {
        if (r->used) r->out[r->used++] = ' ';
        memcpy(r->out + r->used, name, n);
        r->used += n;
        r->out[r->used] = 0;
    }
}

#define OWN(name) cmongoc_own_##name
#define SAME_LAYOUT(type) \
    check(r, sizeof(OWN(type)) == sizeof(type) && _Alignof(OWN(type)) == _Alignof(type), #type)
#define SAME_FIELD(type, field)                                                    \
    check(r, offsetof(OWN(type), field) == offsetof(type, field) &&                 \
                 sizeof(((OWN(type) *) 0)->field) == sizeof(((type *) 0)->field), \
          #type "." #field)
#define SAME_VALUE(constant) check(r, (long long) OWN(constant) == (long long) (constant), #constant)
#define SAME_TEXT(own, real) check(r, strcmp(own, real) == 0, #real)
#define SAME_PROTOTYPE(ret, name, params, args) \
    check(r, __builtin_types_compatible_p(__typeof__(&name), ret (*) params), #name);
#define SAME_VPROTOTYPE(name, params, args) SAME_PROTOTYPE(void, name, params, args)

static void run(struct report *r) {
    /* The opaque storage: sizes, alignment and the two fields read in place. */
    check(r, sizeof(bson_t) == CMONGOC_BSON_SIZE && _Alignof(bson_t) == CMONGOC_BSON_ALIGN, "bson_t");
    check(r, offsetof(bson_t, len) == CMONGOC_BSON_LEN_OFFSET && sizeof(((bson_t *) 0)->len) == 4, "bson_t.len");
    check(r, sizeof(bson_iter_t) <= CMONGOC_BSON_ITER_SIZE && _Alignof(bson_iter_t) <= CMONGOC_BSON_ALIGN,
          "bson_iter_t");
    check(r, offsetof(bson_iter_t, err_off) == CMONGOC_BSON_ITER_ERR_OFF_OFFSET, "bson_iter_t.err_off");

    SAME_LAYOUT(bson_error_t);
    SAME_FIELD(bson_error_t, domain);
    SAME_FIELD(bson_error_t, code);
    SAME_FIELD(bson_error_t, message);
    SAME_LAYOUT(bson_oid_t);
    SAME_FIELD(bson_oid_t, bytes);
    SAME_LAYOUT(mongoc_host_list_t);
    SAME_FIELD(mongoc_host_list_t, next);
    SAME_FIELD(mongoc_host_list_t, host);
    SAME_FIELD(mongoc_host_list_t, host_and_port);
    SAME_FIELD(mongoc_host_list_t, port);
    SAME_FIELD(mongoc_host_list_t, family);

    SAME_LAYOUT(bson_type_t);
    SAME_VALUE(BSON_TYPE_EOD);
    SAME_VALUE(BSON_TYPE_DOUBLE);
    SAME_VALUE(BSON_TYPE_UTF8);
    SAME_VALUE(BSON_TYPE_DOCUMENT);
    SAME_VALUE(BSON_TYPE_ARRAY);
    SAME_VALUE(BSON_TYPE_BINARY);
    SAME_VALUE(BSON_TYPE_UNDEFINED);
    SAME_VALUE(BSON_TYPE_OID);
    SAME_VALUE(BSON_TYPE_BOOL);
    SAME_VALUE(BSON_TYPE_DATE_TIME);
    SAME_VALUE(BSON_TYPE_NULL);
    SAME_VALUE(BSON_TYPE_REGEX);
    SAME_VALUE(BSON_TYPE_DBPOINTER);
    SAME_VALUE(BSON_TYPE_CODE);
    SAME_VALUE(BSON_TYPE_SYMBOL);
    SAME_VALUE(BSON_TYPE_CODEWSCOPE);
    SAME_VALUE(BSON_TYPE_INT32);
    SAME_VALUE(BSON_TYPE_TIMESTAMP);
    SAME_VALUE(BSON_TYPE_INT64);
    SAME_VALUE(BSON_TYPE_DECIMAL128);
    SAME_VALUE(BSON_TYPE_MAXKEY);
    SAME_VALUE(BSON_TYPE_MINKEY);
    SAME_LAYOUT(bson_subtype_t);
    SAME_VALUE(BSON_SUBTYPE_BINARY);
    SAME_VALUE(BSON_SUBTYPE_USER);
    SAME_LAYOUT(mongoc_log_level_t);
    SAME_VALUE(MONGOC_LOG_LEVEL_ERROR);
    SAME_VALUE(MONGOC_LOG_LEVEL_CRITICAL);
    SAME_VALUE(MONGOC_LOG_LEVEL_WARNING);
    SAME_VALUE(MONGOC_LOG_LEVEL_MESSAGE);
    SAME_VALUE(MONGOC_LOG_LEVEL_INFO);
    SAME_VALUE(MONGOC_LOG_LEVEL_DEBUG);
    SAME_VALUE(MONGOC_LOG_LEVEL_TRACE);
    check(r, __builtin_types_compatible_p(OWN(mongoc_log_func_t),
                                          void (*)(OWN(mongoc_log_level_t), const char *, const char *, void *)) &&
                 __builtin_types_compatible_p(mongoc_log_func_t,
                                              void (*)(mongoc_log_level_t, const char *, const char *, void *)),
          "mongoc_log_func_t");
    SAME_LAYOUT(mongoc_query_flags_t);
    SAME_VALUE(MONGOC_QUERY_NONE);
    SAME_LAYOUT(mongoc_error_domain_t);
    SAME_VALUE(MONGOC_ERROR_CLIENT);
    SAME_VALUE(MONGOC_ERROR_STREAM);
    SAME_VALUE(MONGOC_ERROR_BSON);
    SAME_VALUE(MONGOC_ERROR_SERVER_SELECTION);
    SAME_LAYOUT(mongoc_error_code_t);
    SAME_VALUE(MONGOC_ERROR_CLIENT_AUTHENTICATE);
    SAME_TEXT(CMONGOC_URI_MAXPOOLSIZE, MONGOC_URI_MAXPOOLSIZE);
    SAME_TEXT(CMONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_SERVERSELECTIONTIMEOUTMS);
    check(r, CMONGOC_ERROR_API_VERSION_2 == MONGOC_ERROR_API_VERSION_2, "MONGOC_ERROR_API_VERSION_2");
    check(r, MONGOC_MAJOR_VERSION == 1 && BSON_MAJOR_VERSION == 1, "libmongoc-1.0 (major version 1)");

    /* Every function of the table: our prototype, spelled with the real types here, must be
       the real one. */
    CMONGOC_BSON_FUNCTIONS(SAME_PROTOTYPE, SAME_VPROTOTYPE)
    CMONGOC_MONGOC_FUNCTIONS(SAME_PROTOTYPE, SAME_VPROTOTYPE)
}

int cmongoc_abi_mismatches(char *out, size_t capacity) {
    struct report r = {out, capacity, 0, 0, 0};
    if (out && capacity) out[0] = 0;
    run(&r);
    return r.mismatched;
}

int cmongoc_abi_checked_count(void) {
    struct report r = {NULL, 0, 0, 0, 0};
    run(&r);
    return r.checked;
}

const char *cmongoc_abi_header_version(void) { return MONGOC_VERSION_S; }
