/* tt_version: the library version string. */
#include "tt_internal.h"

#ifndef TT_VERSION_STRING
#define TT_VERSION_STRING "0.1.0"
#endif

TT_API const char *tt_version(void)
{
    return TT_VERSION_STRING;
}
