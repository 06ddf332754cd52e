/* Console, command line and exit of tinytrain firmware through Arm semihosting (QEMU or a debugger). */
#include "tt_board_internal.h"

/* Semihosting handles of ":tt" (the host console): -1 until first opened. */
static int32_t tt__stdout_handle = -1;
static int32_t tt__stderr_handle = -1;

/** Opens ":tt" with the given mode (4 = "w": stdout, 8 = "a": stderr). */
static int32_t tt__open_console(uint32_t mode)
{
    static const char name[] = ":tt";
    const uint32_t block[3] = {(uint32_t)(uintptr_t)name, mode, sizeof name - 1};
    return tt__semihost(TT_SH_SYS_OPEN, block);
}

static void tt__write_handle(int32_t handle, const char *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    (void)tt__semihost(TT_SH_SYS_WRITE, block);   /* returns the bytes not written: nothing to retry */
}

__attribute__((weak)) void tt_board_console_write(const char *buf, size_t len)
{
    if (tt__stdout_handle < 0) {
        tt__stdout_handle = tt__open_console(4);
    }
    if (tt__stdout_handle >= 0) {
        tt__write_handle(tt__stdout_handle, buf, len);
    }
}

void tt__board_stderr_write(const char *buf, size_t len)
{
    if (tt__stderr_handle < 0) {
        tt__stderr_handle = tt__open_console(8);
    }
    if (tt__stderr_handle >= 0) {
        tt__write_handle(tt__stderr_handle, buf, len);
    }
}

void tt_board_debug_puts(const char *s)
{
    (void)tt__semihost(TT_SH_SYS_WRITE0, s);
}

void tt__board_put_u32(uint32_t value, int hex)
{
    char buf[12];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    if (hex) {
        int d;
        for (d = 0; d < 8; ++d, value >>= 4) {
            buf[--i] = "0123456789abcdef"[value & 0xFu];
        }
        buf[--i] = 'x';
        buf[--i] = '0';
    } else {
        do {
            buf[--i] = (char)('0' + value % 10u);
            value /= 10u;
        } while (value != 0);
    }
    tt_board_debug_puts(buf + i);
}

int tt__board_cmdline(char *buf, int32_t size)
{
    uint32_t block[2];
    block[0] = (uint32_t)(uintptr_t)buf;
    block[1] = (uint32_t)size;
    return tt__semihost(TT_SH_SYS_GET_CMDLINE, block) == 0 ? 0 : -1;
}

__attribute__((weak, noreturn)) void tt_board_exit(int status)
{
    /* SYS_EXIT_EXTENDED carries the status; QEMU exits with it */
    const uint32_t block[2] = {TT_SH_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    for (;;) {
        (void)tt__semihost(TT_SH_SYS_EXIT_EXTENDED, block);
    }
}
