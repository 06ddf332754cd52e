/*
 * Instruction-count markers for the ttcount QEMU plugin: empty functions it recognises by name (or by
 * address). noipa keeps each one a real, separate call the compiler can neither inline nor merge.
 */
#include "tt_board.h"

__attribute__((noinline, noipa)) void tt_count_begin(void)
{
}

__attribute__((noinline, noipa)) void tt_count_end(void)
{
}
