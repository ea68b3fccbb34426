#ifndef CMONGOC_BSON_FUNCTIONS_H
#define CMONGOC_BSON_FUNCTIONS_H
/* The libbson functions CeleryMongo calls, as an X-macro list (see cmongoc.h). */
#include "cmongoc_types.h"

/* F(return type, name, (parameters), (arguments)); V(name, (parameters), (arguments)) for void. */
#define CMONGOC_BSON_FUNCTIONS(F, V)                                                                        \
    F(bson_t *, bson_new, (void), ())                                                                      \
    F(bson_t *, bson_new_from_data, (const uint8_t *data, size_t length), (data, length))                  \
    F(bson_t *, bson_copy, (const bson_t *bson), (bson))                                                   \
    V(bson_init, (bson_t *b), (b))                                                                         \
    V(bson_destroy, (bson_t *bson), (bson))                                                                \
    V(bson_free, (void *mem), (mem))                                                                       \
    F(const uint8_t *, bson_get_data, (const bson_t *bson), (bson))                                        \
    F(char *, bson_as_canonical_extended_json, (const bson_t *bson, size_t *length), (bson, length))       \
    F(bool, bson_append_utf8, (bson_t *bson, const char *key, int key_length, const char *value, int length), \
      (bson, key, key_length, value, length))                                                              \
    F(bool, bson_append_double, (bson_t *bson, const char *key, int key_length, double value),             \
      (bson, key, key_length, value))                                                                      \
    F(bool, bson_append_bool, (bson_t *bson, const char *key, int key_length, bool value),                 \
      (bson, key, key_length, value))                                                                      \
    F(bool, bson_append_null, (bson_t *bson, const char *key, int key_length), (bson, key, key_length))    \
    F(bool, bson_append_int32, (bson_t *bson, const char *key, int key_length, int32_t value),             \
      (bson, key, key_length, value))                                                                      \
    F(bool, bson_append_int64, (bson_t *bson, const char *key, int key_length, int64_t value),             \
      (bson, key, key_length, value))                                                                      \
    F(bool, bson_append_date_time, (bson_t *bson, const char *key, int key_length, int64_t value),         \
      (bson, key, key_length, value))                                                                      \
    F(bool, bson_append_oid, (bson_t *bson, const char *key, int key_length, const bson_oid_t *oid),       \
      (bson, key, key_length, oid))                                                                        \
    F(bool, bson_append_binary,                                                                            \
      (bson_t *bson, const char *key, int key_length, bson_subtype_t subtype, const uint8_t *binary,       \
       uint32_t length),                                                                                   \
      (bson, key, key_length, subtype, binary, length))                                                    \
    F(bool, bson_append_document_begin, (bson_t *bson, const char *key, int key_length, bson_t *child),    \
      (bson, key, key_length, child))                                                                      \
    F(bool, bson_append_document_end, (bson_t *bson, bson_t *child), (bson, child))                        \
    F(bool, bson_append_array_begin, (bson_t *bson, const char *key, int key_length, bson_t *child),       \
      (bson, key, key_length, child))                                                                      \
    F(bool, bson_append_array_end, (bson_t *bson, bson_t *child), (bson, child))                           \
    F(bool, bson_iter_init, (bson_iter_t *iter, const bson_t *bson), (iter, bson))                         \
    F(bool, bson_iter_next, (bson_iter_t *iter), (iter))                                                   \
    F(bool, bson_iter_recurse, (const bson_iter_t *iter, bson_iter_t *child), (iter, child))               \
    F(const char *, bson_iter_key, (const bson_iter_t *iter), (iter))                                      \
    F(bson_type_t, bson_iter_type, (const bson_iter_t *iter), (iter))                                      \
    F(double, bson_iter_double, (const bson_iter_t *iter), (iter))                                         \
    F(const char *, bson_iter_utf8, (const bson_iter_t *iter, uint32_t *length), (iter, length))           \
    V(bson_iter_binary,                                                                                    \
      (const bson_iter_t *iter, bson_subtype_t *subtype, uint32_t *binary_len, const uint8_t **binary),    \
      (iter, subtype, binary_len, binary))                                                                 \
    F(const bson_oid_t *, bson_iter_oid, (const bson_iter_t *iter), (iter))                                \
    F(bool, bson_iter_bool, (const bson_iter_t *iter), (iter))                                             \
    F(int64_t, bson_iter_date_time, (const bson_iter_t *iter), (iter))                                     \
    F(int32_t, bson_iter_int32, (const bson_iter_t *iter), (iter))                                         \
    F(int64_t, bson_iter_int64, (const bson_iter_t *iter), (iter))

#endif
