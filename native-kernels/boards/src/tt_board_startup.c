/* Reset handler, vector table and fault reporting of tinytrain firmware on Cortex-M. */
#include <stdlib.h>

#include "tt_board_internal.h"

/* External interrupt vectors after the 16 core exceptions; none is enabled by the board code. */
#define TT_BOARD_EXTERNAL_IRQS 32
#define TT_BOARD_MAX_ARGS 16
#define TT_BOARD_CMDLINE 256

int main(int argc, char **argv);

extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

void tt_board_reset(void);
void tt_board_fault_entry(void);

static char tt__cmdline[TT_BOARD_CMDLINE];
static char *tt__argv[TT_BOARD_MAX_ARGS + 1];

/** Splits the command line at spaces into tt__argv; returns argc (at least 1). */
static int tt__board_args(void)
{
    static char name[] = "firmware";
    int argc = 0;
    char *p = tt__cmdline;
    if (tt__board_cmdline(tt__cmdline, TT_BOARD_CMDLINE) != 0) {
        tt__argv[0] = name;
        tt__argv[1] = NULL;
        return 1;
    }
    while (*p != '\0' && argc < TT_BOARD_MAX_ARGS) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        tt__argv[argc++] = p;
        while (*p != '\0' && *p != ' ') {
            ++p;
        }
    }
    if (argc == 0) {
        tt__argv[argc++] = name;
    }
    tt__argv[argc] = NULL;
    return argc;
}

/** C part of the reset: runs with the FPU enabled, on the initial stack at __tt_stack_top. */
__attribute__((noreturn, used)) void tt__board_start(void)
{
    uint32_t *src, *dst, *sp;
    void (**fn)(void);
    int argc;

    for (src = __tt_data_load, dst = __tt_data_start; dst < __tt_data_end;) {
        *dst++ = *src++;
    }
    for (dst = __tt_bss_start; dst < __tt_bss_end;) {
        *dst++ = 0;
    }
    /* paint the stack below this frame (64 bytes of headroom for the frame itself) */
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (dst = __tt_stack_bottom; dst < sp - 16;) {
        *dst++ = TT_BOARD_STACK_PAINT;
    }
    for (fn = __preinit_array_start; fn < __preinit_array_end; ++fn) {
        (*fn)();
    }
    for (fn = __init_array_start; fn < __init_array_end; ++fn) {
        (*fn)();
    }
    argc = tt__board_args();
    exit(main(argc, tt__argv));
}

/* Entry from the vector table: enable the FPU before any C code could touch it, then start. */
__attribute__((naked, noreturn)) void tt_board_reset(void)
{
    __asm__ volatile(
#if defined(__ARM_FP)
        "ldr r0, =0xE000ED88\n\t"      /* SCB->CPACR: full access to CP10 and CP11 */
        "ldr r1, [r0]\n\t"
        "orr r1, r1, #(0xF << 20)\n\t"
        "str r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
#endif
        "b tt__board_start\n\t"
        ".ltorg\n\t");
}

/** Prints the exception and its stacked registers, then ends the run with TT_BOARD_EXIT_FAULT. */
__attribute__((noreturn, used)) void tt__board_fault(const uint32_t *frame, uint32_t exc_return)
{
    static const char *const names[16] = {
        "thread", "reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "exception 7",
        "exception 8", "exception 9", "exception 10", "SVCall", "DebugMonitor", "exception 13",
        "PendSV", "SysTick"};
    static const char *const regs[8] = {"r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr"};
    volatile const uint32_t *scb = (volatile const uint32_t *)0xE000ED00u;
    uint32_t ipsr, i;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    tt_board_debug_puts("\ntt_board: ");
    if (ipsr < 16) {
        tt_board_debug_puts(names[ipsr]);
    } else {
        tt_board_debug_puts("unexpected interrupt ");
        tt__board_put_u32(ipsr - 16, 0);
    }
    tt_board_debug_puts("\n ");
    for (i = 0; i < 8; ++i) {
        tt_board_debug_puts(" ");
        tt_board_debug_puts(regs[i]);
        tt_board_debug_puts("=");
        tt__board_put_u32(frame[i], 1);
    }
    tt_board_debug_puts("\n  cfsr=");
    tt__board_put_u32(scb[0x28 / 4], 1);
    tt_board_debug_puts(" hfsr=");
    tt__board_put_u32(scb[0x2C / 4], 1);
    tt_board_debug_puts(" mmfar=");
    tt__board_put_u32(scb[0x34 / 4], 1);
    tt_board_debug_puts(" bfar=");
    tt__board_put_u32(scb[0x38 / 4], 1);
    tt_board_debug_puts(" exc_return=");
    tt__board_put_u32(exc_return, 1);
    tt_board_debug_puts(" sp=");
    tt__board_put_u32((uint32_t)(uintptr_t)frame, 1);
    tt_board_debug_puts("\n");
    tt_board_exit(TT_BOARD_EXIT_FAULT);
}

/* Every fault and unexpected exception: pass the stacked frame (MSP or PSP, from EXC_RETURN bit 2). */
__attribute__((naked, noreturn)) void tt_board_fault_entry(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "b tt__board_fault\n\t");
}

/* Vector table: initial stack pointer, reset, 14 core exceptions, then external interrupts. */
__attribute__((section(".isr_vector"), used))
void (*const tt_board_vectors[16 + TT_BOARD_EXTERNAL_IRQS])(void) = {
    (void (*)(void))(uintptr_t)__tt_stack_top,
    tt_board_reset,
    [2 ... 16 + TT_BOARD_EXTERNAL_IRQS - 1] = tt_board_fault_entry,
};

/* newlib's exit runs __libc_fini_array, which calls _fini (crti.o's, absent with -nostartfiles). */
void _init(void);
void _fini(void);

void _init(void)
{
}

void _fini(void)
{
}
