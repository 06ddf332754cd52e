/* tt_isa_best, tt_isa_active, tt_isa_select: which hand-tuned path the kernels take. */
#include "tt_internal.h"

/* -1 until first use, then a tt_isa value; not thread-safe (documented in tt_kernels.h). */
static int tt__isa_state = -1;

TT_API tt_isa tt_isa_best(void)
{
#if TT_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? TT_ISA_AVX2 : TT_ISA_PORTABLE;
#elif TT_HAVE_ARM_DSP
    return TT_ISA_ARM_DSP;
#else
    return TT_ISA_PORTABLE;
#endif
}

TT_API tt_isa tt_isa_active(void)
{
    if (tt__isa_state < 0) {
        tt__isa_state = (int)tt_isa_best();
    }
    return (tt_isa)tt__isa_state;
}

TT_API tt_status tt_isa_select(tt_isa isa)
{
    switch (isa) {
    case TT_ISA_PORTABLE:
        tt__isa_state = (int)TT_ISA_PORTABLE;
        return TT_OK;
    case TT_ISA_AVX2:
    case TT_ISA_ARM_DSP:
        if (tt_isa_best() != isa) {
            return TT_UNSUPPORTED;
        }
        tt__isa_state = (int)isa;
        return TT_OK;
    default:
        return TT_ARG_ERROR;
    }
}
