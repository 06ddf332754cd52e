/*
 * tinytrain board support: private declarations (linker-script symbols, semihosting calls).
 */
#ifndef TT_BOARD_INTERNAL_H
#define TT_BOARD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tt_board.h"

/* Defined by boards/ld/tt_sections.ld; only their addresses are meaningful. */
extern uint32_t __tt_stack_bottom[];
extern uint32_t __tt_stack_top[];
extern uint32_t __tt_data_load[];
extern uint32_t __tt_data_start[];
extern uint32_t __tt_data_end[];
extern uint32_t __tt_bss_start[];
extern uint32_t __tt_bss_end[];
extern char __tt_heap_start[];
extern char __tt_heap_end[];
extern char __tt_ram_budget[];   /* absolute symbol: its address is the budget in bytes */

/* The word the stack is painted with at reset. */
#define TT_BOARD_STACK_PAINT 0xDEADBEEFu

/* Semihosting operation numbers (Arm's semihosting specification). */
#define TT_SH_SYS_OPEN 0x01
#define TT_SH_SYS_WRITE0 0x04
#define TT_SH_SYS_WRITE 0x05
#define TT_SH_SYS_GET_CMDLINE 0x15
#define TT_SH_SYS_EXIT 0x18
#define TT_SH_SYS_EXIT_EXTENDED 0x20
#define TT_SH_ADP_STOPPED_APPLICATION_EXIT 0x20026

/** One semihosting call: op in r0, the parameter (block) in r1, the result in r0 (BKPT 0xAB on M-profile). */
static inline int32_t tt__semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/** Writes an unsigned value in decimal or (hex != 0) as 0x%08x through tt_board_debug_puts. */
void tt__board_put_u32(uint32_t value, int hex);

/** Writes len bytes to the host's stderr (semihosting SYS_WRITE on ":tt" opened for append). */
void tt__board_stderr_write(const char *buf, size_t len);

/** Fills buf (size bytes) with the command line QEMU passes (kernel name and -append); 0 when there is one. */
int tt__board_cmdline(char *buf, int32_t size);

#endif /* TT_BOARD_INTERNAL_H */
