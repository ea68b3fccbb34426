#ifndef CMONGOC_SYSTEM_SHIM_H
#define CMONGOC_SYSTEM_SHIM_H
/* The installed libmongoc headers, for the ABI check only (Tests/CMongoCABICheck): the
   product targets never include them (Sources/CMongoC declares what they use). */
#include <mongoc/mongoc.h>
#endif
