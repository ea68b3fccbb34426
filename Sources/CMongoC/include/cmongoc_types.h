#ifndef CMONGOC_TYPES_H
#define CMONGOC_TYPES_H
/* The libbson/libmongoc 1.x types, enums and constants CeleryMongo uses, declared here so that
   nothing includes <mongoc/mongoc.h>: the package then needs neither its include paths nor
   `-lmongoc-1.0`, and the libraries are loaded with dlopen on first use (cmongoc.h).

   Every declaration is checked against the installed headers by the test-only target
   CMongoCABICheck (Tests/CMongoCABICheck), which includes the real headers first and this file
   with CMONGOC_ABI_CHECK defined: CMONGOC_OWN then gives our declarations a prefix so both
   sets can be compared (sizes, offsets, enum values, every function's prototype). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef CMONGOC_ABI_CHECK
#define CMONGOC_OWN(name) cmongoc_own_##name
#else
#define CMONGOC_OWN(name) name
#endif

/* Opaque handles (the real struct tags, never defined here). bson_t and bson_iter_t are
   128-byte aligned in libbson; Swift sees them as opaque pointers and the storage helpers in
   cmongoc.h allocate them with that alignment. */
typedef struct _bson_t CMONGOC_OWN(bson_t);
typedef struct _cmongoc_bson_iter_t CMONGOC_OWN(bson_iter_t);
typedef struct _mongoc_uri_t CMONGOC_OWN(mongoc_uri_t);
typedef struct _mongoc_client_t CMONGOC_OWN(mongoc_client_t);
typedef struct _mongoc_client_pool_t CMONGOC_OWN(mongoc_client_pool_t);
typedef struct _mongoc_collection_t CMONGOC_OWN(mongoc_collection_t);
typedef struct _mongoc_cursor_t CMONGOC_OWN(mongoc_cursor_t);
typedef struct _mongoc_bulk_operation_t CMONGOC_OWN(mongoc_bulk_operation_t);
typedef struct _mongoc_read_prefs_t CMONGOC_OWN(mongoc_read_prefs_t);
typedef struct _mongoc_write_concern_t CMONGOC_OWN(mongoc_write_concern_t);

/* sizeof(bson_t), sizeof(bson_iter_t), their alignment, and the offsets of the two public
   fields read directly (bson_t.len, bson_iter_t.err_off). */
#define CMONGOC_BSON_SIZE 128
#define CMONGOC_BSON_ITER_SIZE 80
#define CMONGOC_BSON_ALIGN 128
#define CMONGOC_BSON_LEN_OFFSET 4
#define CMONGOC_BSON_ITER_ERR_OFF_OFFSET 44

/* bson_error_t: an error domain, code and NUL-terminated message. */
typedef struct CMONGOC_OWN(_bson_error_t) {
    uint32_t domain;
    uint32_t code;
    char message[504];
} __attribute__((aligned(8))) CMONGOC_OWN(bson_error_t);

/* bson_oid_t: a 12-byte ObjectId. */
typedef struct {
    uint8_t bytes[12];
} CMONGOC_OWN(bson_oid_t);

/* mongoc_host_list_t: one seed host of a URI (a linked list). */
typedef struct CMONGOC_OWN(_mongoc_host_list_t) CMONGOC_OWN(mongoc_host_list_t);
struct CMONGOC_OWN(_mongoc_host_list_t) {
    CMONGOC_OWN(mongoc_host_list_t) *next;
    char host[256];
    char host_and_port[262];
    uint16_t port;
    int family;
    void *padding[4];
};

typedef enum {
    CMONGOC_OWN(BSON_TYPE_EOD) = 0x00,
    CMONGOC_OWN(BSON_TYPE_DOUBLE) = 0x01,
    CMONGOC_OWN(BSON_TYPE_UTF8) = 0x02,
    CMONGOC_OWN(BSON_TYPE_DOCUMENT) = 0x03,
    CMONGOC_OWN(BSON_TYPE_ARRAY) = 0x04,
    CMONGOC_OWN(BSON_TYPE_BINARY) = 0x05,
    CMONGOC_OWN(BSON_TYPE_UNDEFINED) = 0x06,
    CMONGOC_OWN(BSON_TYPE_OID) = 0x07,
    CMONGOC_OWN(BSON_TYPE_BOOL) = 0x08,
    CMONGOC_OWN(BSON_TYPE_DATE_TIME) = 0x09,
    CMONGOC_OWN(BSON_TYPE_NULL) = 0x0A,
    CMONGOC_OWN(BSON_TYPE_REGEX) = 0x0B,
    CMONGOC_OWN(BSON_TYPE_DBPOINTER) = 0x0C,
    CMONGOC_OWN(BSON_TYPE_CODE) = 0x0D,
    CMONGOC_OWN(BSON_TYPE_SYMBOL) = 0x0E,
    CMONGOC_OWN(BSON_TYPE_CODEWSCOPE) = 0x0F,
    CMONGOC_OWN(BSON_TYPE_INT32) = 0x10,
    CMONGOC_OWN(BSON_TYPE_TIMESTAMP) = 0x11,
    CMONGOC_OWN(BSON_TYPE_INT64) = 0x12,
    CMONGOC_OWN(BSON_TYPE_DECIMAL128) = 0x13,
    CMONGOC_OWN(BSON_TYPE_MAXKEY) = 0x7F,
    CMONGOC_OWN(BSON_TYPE_MINKEY) = 0xFF,
} CMONGOC_OWN(bson_type_t);

/* Binary subtypes: only the type is used (values pass through as numbers). */
typedef enum {
    CMONGOC_OWN(BSON_SUBTYPE_BINARY) = 0x00,
    CMONGOC_OWN(BSON_SUBTYPE_USER) = 0x80,
} CMONGOC_OWN(bson_subtype_t);

typedef enum {
    CMONGOC_OWN(MONGOC_LOG_LEVEL_ERROR),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_CRITICAL),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_WARNING),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_MESSAGE),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_INFO),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_DEBUG),
    CMONGOC_OWN(MONGOC_LOG_LEVEL_TRACE),
} CMONGOC_OWN(mongoc_log_level_t);

typedef void (*CMONGOC_OWN(mongoc_log_func_t))(
    CMONGOC_OWN(mongoc_log_level_t) log_level, const char *log_domain, const char *message, void *user_data);

typedef enum {
    CMONGOC_OWN(MONGOC_QUERY_NONE) = 0,
} CMONGOC_OWN(mongoc_query_flags_t);

/* The error domains and codes CeleryMongo tells apart (bson_error_t.domain/.code). */
typedef enum {
    CMONGOC_OWN(MONGOC_ERROR_CLIENT) = 1,
    CMONGOC_OWN(MONGOC_ERROR_STREAM) = 2,
    CMONGOC_OWN(MONGOC_ERROR_BSON) = 8,
    CMONGOC_OWN(MONGOC_ERROR_SERVER_SELECTION) = 15,
} CMONGOC_OWN(mongoc_error_domain_t);

typedef enum {
    CMONGOC_OWN(MONGOC_ERROR_CLIENT_AUTHENTICATE) = 11,
} CMONGOC_OWN(mongoc_error_code_t);

/* URI option names and the error API version (libmongoc's MONGOC_URI_… / MONGOC_ERROR_API_VERSION_2). */
#define CMONGOC_URI_MAXPOOLSIZE "maxpoolsize"
#define CMONGOC_URI_SERVERSELECTIONTIMEOUTMS "serverselectiontimeoutms"
#define CMONGOC_ERROR_API_VERSION_2 2

#endif
