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

/** C part of the reset: runs with the FPU enabled, on the process stack from __tt_stack_top. */
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
    /* paint the stack between the guard and this frame (64 bytes of headroom for the frame itself) */
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (dst = __tt_stack_limit; dst < sp - 16;) {
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

/*
 * Entry from the vector table (MSP = the exception stack's top): enable the FPU before any C code could
 * touch it, make the bottom 32 bytes of main's stack an MPU guard (PMSAv7 region 0: no access, execute
 * never; PRIVDEFENA keeps the default map everywhere else), move thread mode to the process stack
 * (PSP = __tt_stack_top, CONTROL.SPSEL = 1), start.
 */
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
        "ldr r0, =0xE000ED98\n\t"      /* MPU_RNR, then MPU_RBAR at +4 and MPU_RASR at +8 */
        "movs r1, #0\n\t"
        "str r1, [r0]\n\t"
        "ldr r1, =__tt_stack_bottom\n\t"
        "str r1, [r0, #4]\n\t"
        "ldr r1, =0x10000009\n\t"      /* XN, AP = no access, SIZE = 4 (32 bytes), ENABLE */
        "str r1, [r0, #8]\n\t"
        "ldr r0, =0xE000ED94\n\t"      /* MPU_CTRL: ENABLE | PRIVDEFENA */
        "movs r1, #5\n\t"
        "str r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
        "ldr r0, =__tt_stack_top\n\t"
        "msr psp, r0\n\t"
        "movs r0, #2\n\t"
        "msr control, r0\n\t"
        "isb\n\t"
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

/** A fault whose stack pointer had left the main stack region: its frame is unreadable, report the overflow. */
__attribute__((noreturn, used)) void tt__board_stack_overflow(uint32_t sp)
{
    tt_board_debug_puts("\ntt_board: stack overflow: sp=");
    tt__board_put_u32(sp, 1);
    tt_board_debug_puts(" is below the stack region [");
    tt__board_put_u32((uint32_t)(uintptr_t)__tt_stack_limit, 1);
    tt_board_debug_puts(", ");
    tt__board_put_u32((uint32_t)(uintptr_t)__tt_stack_top, 1);
    tt_board_debug_puts(") (TT_STACK_SIZE = ");
    tt__board_put_u32(tt_board_stack_size() + 32u, 0);
    tt_board_debug_puts(" B with the 32-byte guard); link with a larger TT_STACK_SIZE\n");
    tt_board_exit(TT_BOARD_EXIT_FAULT);
}

/*
 * Every fault and unexpected exception, on the exception stack: pass the stacked frame (PSP for main,
 * MSP for a fault inside a handler; EXC_RETURN bit 2 says which). A process stack pointer inside or
 * below the guard means main's stack overflowed: that frame could not be stacked, so it is not read.
 */
__attribute__((naked, noreturn)) void tt_board_fault_entry(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "ldr r2, =__tt_stack_limit\n\t"
        "cmp r0, r2\n\t"
        "bhs 1f\n\t"
        "ldr r2, =__tt_handler_stack_top\n\t"
        "mov sp, r2\n\t"
        "b tt__board_stack_overflow\n\t"
        "1:\n\t"
        "b tt__board_fault\n\t"
        ".ltorg\n\t");
}

/* Vector table: initial (exception) stack pointer, reset, 14 core exceptions, then external interrupts. */
__attribute__((section(".isr_vector"), used))
void (*const tt_board_vectors[16 + TT_BOARD_EXTERNAL_IRQS])(void) = {
    (void (*)(void))(uintptr_t)__tt_handler_stack_top,
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
