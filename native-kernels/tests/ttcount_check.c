/*
 * Checks the ttcount QEMU plugin against instruction counts known by construction: a region of
 * assembly that executes exactly 2n + 2 instructions (mov, n times subs + bne, the call of
 * tt_count_end). Prints "expect <region> <instructions>" per region, which the ctest script
 * (cmake/TtcountCheck.cmake) compares with the plugin's "ttcount region" lines.
 */
#include <stdint.h>
#include <stdio.h>

#include "tt_board.h"

static void counted_loop(uint32_t n)
{
    __asm__ volatile(
        "bl tt_count_begin\n\t"
        "mov r0, %0\n\t"
        "1:\n\t"
        "subs r0, r0, #1\n\t"
        "bne 1b\n\t"
        "bl tt_count_end\n\t"
        :
        : "r"(n)
        : "r0", "r1", "r2", "r3", "r12", "lr", "cc", "memory");
}

int main(void)
{
    static const uint32_t loops[] = {1, 2, 10, 1000, 123457};
    unsigned i;
    for (i = 0; i < sizeof loops / sizeof loops[0]; ++i) {
        counted_loop(loops[i]);
        printf("expect %u %lu\n", i + 1, (unsigned long)(2u * loops[i] + 2u));
    }
    return 0;
}
