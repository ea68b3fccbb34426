#ifndef CMONGOC_MONGOC_FUNCTIONS_H
#define CMONGOC_MONGOC_FUNCTIONS_H
/* The libmongoc functions CeleryMongo calls, as an X-macro list (see cmongoc.h):
   F(return type, name, (parameters), (arguments)); V(name, (parameters), (arguments)) for void. */
#include "cmongoc_types.h"

#define CMONGOC_MONGOC_FUNCTIONS(F, V)                                                                      \
    V(mongoc_init, (void), ())                                                                             \
    V(mongoc_log_set_handler, (mongoc_log_func_t log_func, void *user_data), (log_func, user_data))        \
    F(mongoc_uri_t *, mongoc_uri_new_with_error, (const char *uri_string, bson_error_t *error),            \
      (uri_string, error))                                                                                 \
    V(mongoc_uri_destroy, (mongoc_uri_t *uri), (uri))                                                      \
    F(bool, mongoc_uri_has_option, (const mongoc_uri_t *uri, const char *key), (uri, key))                 \
    F(int32_t, mongoc_uri_get_option_as_int32, (const mongoc_uri_t *uri, const char *option, int32_t fallback), \
      (uri, option, fallback))                                                                             \
    F(bool, mongoc_uri_set_option_as_int32, (mongoc_uri_t *uri, const char *option, int32_t value),        \
      (uri, option, value))                                                                                \
    F(const char *, mongoc_uri_get_database, (const mongoc_uri_t *uri), (uri))                             \
    F(const mongoc_host_list_t *, mongoc_uri_get_hosts, (const mongoc_uri_t *uri), (uri))                  \
    F(const char *, mongoc_uri_get_srv_hostname, (const mongoc_uri_t *uri), (uri))                         \
    F(const mongoc_write_concern_t *, mongoc_uri_get_write_concern, (const mongoc_uri_t *uri), (uri))      \
    F(int32_t, mongoc_write_concern_get_w, (const mongoc_write_concern_t *write_concern), (write_concern))  \
    F(mongoc_client_pool_t *, mongoc_client_pool_new_with_error, (const mongoc_uri_t *uri, bson_error_t *error), \
      (uri, error))                                                                                        \
    V(mongoc_client_pool_destroy, (mongoc_client_pool_t *pool), (pool))                                    \
    F(mongoc_client_t *, mongoc_client_pool_pop, (mongoc_client_pool_t *pool), (pool))                     \
    V(mongoc_client_pool_push, (mongoc_client_pool_t *pool, mongoc_client_t *client), (pool, client))      \
    F(bool, mongoc_client_pool_set_error_api, (mongoc_client_pool_t *pool, int32_t version), (pool, version)) \
    F(bool, mongoc_client_pool_set_appname, (mongoc_client_pool_t *pool, const char *appname), (pool, appname)) \
    F(mongoc_collection_t *, mongoc_client_get_collection,                                                 \
      (mongoc_client_t *client, const char *db, const char *collection), (client, db, collection))         \
    F(bool, mongoc_client_command_simple,                                                                  \
      (mongoc_client_t *client, const char *db_name, const bson_t *command,                                \
       const mongoc_read_prefs_t *read_prefs, bson_t *reply, bson_error_t *error),                         \
      (client, db_name, command, read_prefs, reply, error))                                                \
    V(mongoc_collection_destroy, (mongoc_collection_t *collection), (collection))                          \
    F(bool, mongoc_collection_replace_one,                                                                 \
      (mongoc_collection_t *collection, const bson_t *selector, const bson_t *replacement,                 \
       const bson_t *opts, bson_t *reply, bson_error_t *error),                                            \
      (collection, selector, replacement, opts, reply, error))                                             \
    F(bool, mongoc_collection_delete_one,                                                                  \
      (mongoc_collection_t *collection, const bson_t *selector, const bson_t *opts, bson_t *reply,         \
       bson_error_t *error),                                                                               \
      (collection, selector, opts, reply, error))                                                          \
    F(bool, mongoc_collection_delete_many,                                                                 \
      (mongoc_collection_t *collection, const bson_t *selector, const bson_t *opts, bson_t *reply,         \
       bson_error_t *error),                                                                               \
      (collection, selector, opts, reply, error))                                                          \
    F(mongoc_cursor_t *, mongoc_collection_find_with_opts,                                                 \
      (mongoc_collection_t *collection, const bson_t *filter, const bson_t *opts,                          \
       const mongoc_read_prefs_t *read_prefs),                                                             \
      (collection, filter, opts, read_prefs))                                                              \
    F(mongoc_cursor_t *, mongoc_collection_aggregate,                                                      \
      (mongoc_collection_t *collection, mongoc_query_flags_t flags, const bson_t *pipeline,                \
       const bson_t *opts, const mongoc_read_prefs_t *read_prefs),                                         \
      (collection, flags, pipeline, opts, read_prefs))                                                     \
    F(mongoc_bulk_operation_t *, mongoc_collection_create_bulk_operation_with_opts,                        \
      (mongoc_collection_t *collection, const bson_t *opts), (collection, opts))                           \
    F(bool, mongoc_bulk_operation_replace_one_with_opts,                                                   \
      (mongoc_bulk_operation_t *bulk, const bson_t *selector, const bson_t *document, const bson_t *opts,  \
       bson_error_t *error),                                                                               \
      (bulk, selector, document, opts, error))                                                             \
    F(bool, mongoc_bulk_operation_insert_with_opts,                                                        \
      (mongoc_bulk_operation_t *bulk, const bson_t *document, const bson_t *opts, bson_error_t *error),    \
      (bulk, document, opts, error))                                                                       \
    F(uint32_t, mongoc_bulk_operation_execute, (mongoc_bulk_operation_t *bulk, bson_t *reply, bson_error_t *error), \
      (bulk, reply, error))                                                                                \
    V(mongoc_bulk_operation_destroy, (mongoc_bulk_operation_t *bulk), (bulk))                              \
    F(bool, mongoc_cursor_next, (mongoc_cursor_t *cursor, const bson_t **bson), (cursor, bson))            \
    F(bool, mongoc_cursor_error, (mongoc_cursor_t *cursor, bson_error_t *error), (cursor, error))          \
    V(mongoc_cursor_destroy, (mongoc_cursor_t *cursor), (cursor))

#endif
