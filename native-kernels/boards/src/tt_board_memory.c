/* Peak stack by painting, static RAM and heap accounting of tinytrain firmware. */
#include "tt_board_internal.h"

/* Set by _sbrk: the current end of the heap (the heap start until the first allocation). */
char *tt__board_heap_top;

uint32_t tt_board_stack_size(void)
{
    return (uint32_t)((uintptr_t)__tt_stack_top - (uintptr_t)__tt_stack_bottom);
}

uint32_t tt_board_stack_peak(void)
{
    const uint32_t *p = __tt_stack_bottom;
    /* the stack grows down from __tt_stack_top: the lowest overwritten word marks the peak */
    while (p < __tt_stack_top && *p == TT_BOARD_STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)__tt_stack_top - (uintptr_t)p);
}

uint32_t tt_board_static_ram(void)
{
    return (uint32_t)((uintptr_t)__tt_data_end - (uintptr_t)__tt_data_start)
           + (uint32_t)((uintptr_t)__tt_bss_end - (uintptr_t)__tt_bss_start);
}

uint32_t tt_board_heap_used(void)
{
    return tt__board_heap_top == NULL ? 0u : (uint32_t)(tt__board_heap_top - __tt_heap_start);
}

uint32_t tt_board_ram_budget(void)
{
    return (uint32_t)(uintptr_t)__tt_ram_budget;
}
