/*
 * The board support under QEMU (Cortex-M builds; driven by cmake/BoardCheck.cmake, one mode per run):
 *   stack     peak stack by painting: a recursion of known depth must raise the reported peak by at
 *             least its frames, and never past the stack size; the heap accounting follows malloc
 *   exit      main's return value is QEMU's exit code (returns 7)
 *   fault     a jump to an address without code: the HardFault report, exit code TT_BOARD_EXIT_FAULT
 *   overflow  unbounded recursion: the stack overflow report instead of a lockup
 *   args      the command line from QEMU's -append reaches argv
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_board.h"

#define FRAME 256

static int failures;

#define CHECK(cond, ...)                                                \
    do {                                                                \
        if (!(cond)) {                                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                 \
            printf(__VA_ARGS__);                                        \
            printf("\n");                                               \
            ++failures;                                                 \
        }                                                               \
    } while (0)

/* Each level keeps FRAME bytes live on the stack. */
static __attribute__((noinline)) uint32_t recurse(uint32_t depth)
{
    volatile uint8_t frame[FRAME];
    uint32_t i, sum = 0;
    for (i = 0; i < FRAME; ++i) {
        frame[i] = (uint8_t)(depth + i);
    }
    if (depth > 0) {
        sum = recurse(depth - 1);
    }
    for (i = 0; i < FRAME; i += 64) {
        sum += frame[i];
    }
    return sum;
}

static int stack_mode(void)
{
    const uint32_t before = tt_board_stack_peak();
    uint32_t after, heap_before, heap_after;
    void *p;
    recurse(16);   /* at least 17 * 256 = 4352 bytes below main's frame */
    after = tt_board_stack_peak();
    CHECK(after >= before + 17 * FRAME, "peak %lu after a 17-frame recursion, %lu before", (unsigned long)after,
          (unsigned long)before);
    CHECK(after <= tt_board_stack_size(), "peak %lu beyond the stack size %lu", (unsigned long)after,
          (unsigned long)tt_board_stack_size());
    heap_before = tt_board_heap_used();
    p = malloc(10000);
    heap_after = tt_board_heap_used();
    CHECK(p != NULL && heap_after >= heap_before + 10000, "heap %lu -> %lu after malloc(10000)",
          (unsigned long)heap_before, (unsigned long)heap_after);
    CHECK(tt_board_ram_budget() == 256u * 1024u, "budget %lu", (unsigned long)tt_board_ram_budget());
    printf("board_check stack: peak %lu -> %lu of %lu B, heap %lu -> %lu B, static RAM %lu B, %d failure(s)\n",
           (unsigned long)before, (unsigned long)after, (unsigned long)tt_board_stack_size(),
           (unsigned long)heap_before, (unsigned long)heap_after, (unsigned long)tt_board_static_ram(), failures);
    free(p);
    return failures == 0 ? 0 : 1;
}

static volatile int keep_going = 1;

/* Recurses until the stack runs out (keep_going is never cleared; volatile, so the compiler keeps the calls). */
static __attribute__((noinline)) uint32_t forever(uint32_t depth)
{
    volatile uint8_t frame[FRAME];
    frame[0] = (uint8_t)depth;
    return keep_going ? forever(depth + 1) + frame[0] : frame[0];
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "stack") == 0) {
        return stack_mode();
    }
    if (strcmp(mode, "exit") == 0) {
        return 7;
    }
    if (strcmp(mode, "fault") == 0) {
        void (*nowhere)(void) = (void (*)(void))(uintptr_t)0x3FFFFFF1u;
        fflush(stdout);
        nowhere();
        return 0;
    }
    if (strcmp(mode, "overflow") == 0) {
        return (int)forever(0);
    }
    if (strcmp(mode, "args") == 0) {
        printf("board_check args: argc %d, argv[1] %s, argv[2] %s\n", argc, argv[1], argc > 2 ? argv[2] : "-");
        return argc == 3 && strcmp(argv[2], "second") == 0 ? 0 : 1;
    }
    printf("board_check: unknown mode '%s' (stack, exit, fault, overflow, args)\n", mode);
    return 2;
}
