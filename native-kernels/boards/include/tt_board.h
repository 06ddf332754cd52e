/*
 * tinytrain board support for Cortex-M firmware: startup, console and exit through semihosting,
 * peak stack by painting, and the markers the ttcount QEMU plugin counts instructions between.
 *
 * A firmware links libtt_board.a and one of the linker scripts in boards/ld/ (see
 * cmake/TinytrainBoard.cmake); its main(argc, argv) runs after .data is copied, .bss is zeroed,
 * the FPU is enabled (hard-float builds) and the stack is painted. Returning from main (or calling
 * exit) flushes stdio and ends the run with that status: under QEMU with
 * -semihosting-config enable=on,target=native the status is QEMU's exit code.
 *
 * Memory layout (RAM, from its origin up): stack (TT_STACK_SIZE), .data, .bss, then the heap up to
 * the SRAM budget TT_RAM_BUDGET. A stack overflow runs below the RAM origin and faults instead of
 * corrupting data. Semihosting needs QEMU or an attached debugger; on a bare board override the weak
 * tt_board_console_write (e.g. with a UART) and tt_board_exit.
 */
#ifndef TT_BOARD_H
#define TT_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** QEMU exit code after a fault (HardFault, NMI, an unexpected interrupt). */
#define TT_BOARD_EXIT_FAULT 100

/** Writes len bytes to the host's stdout (semihosting SYS_WRITE). Weak: a board may override it. */
void tt_board_console_write(const char *buf, size_t len);

/** Writes a NUL-terminated string to the host's stderr (semihosting SYS_WRITE0); usable in a fault. */
void tt_board_debug_puts(const char *s);

/** Ends the run with this status (semihosting SYS_EXIT_EXTENDED). Weak. Does not flush stdio: use exit(). */
void tt_board_exit(int status) __attribute__((noreturn));

/** Bytes of the stack region (TT_STACK_SIZE). */
uint32_t tt_board_stack_size(void);

/** Most stack bytes in use at any time since reset (paint-and-scan: the deepest word not still painted). */
uint32_t tt_board_stack_peak(void);

/** .data + .bss bytes (static RAM of the firmware, the stack and the heap not included). */
uint32_t tt_board_static_ram(void);

/** Heap bytes handed out by sbrk so far (malloc's high-water mark, from the heap start). */
uint32_t tt_board_heap_used(void);

/** The SRAM budget the firmware was linked against (TT_RAM_BUDGET, bytes). */
uint32_t tt_board_ram_budget(void);

/**
 * Instruction-count markers. The ttcount QEMU plugin counts the guest instructions executed between
 * a call of tt_count_begin and the next call of tt_count_end and reports one region per pair, in
 * order. Both are empty functions that are never inlined; outside the plugin they cost a call.
 */
void tt_count_begin(void);
void tt_count_end(void);

#ifdef __cplusplus
}
#endif

#endif /* TT_BOARD_H */
