/*
 * tinytrain kernel library: the one header users and binding generators include.
 */
#ifndef TINYTRAIN_H
#define TINYTRAIN_H

#include "tt_types.h"
#include "tt_kernels.h"
#include "tt_backward.h"
#include "tt_fp32.h"

#endif /* TINYTRAIN_H */
