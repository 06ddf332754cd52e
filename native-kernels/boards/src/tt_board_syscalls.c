/*
 * The system calls newlib needs, for a single-threaded bare-metal firmware: stdout and stderr go to
 * the host through semihosting, the heap lies between .bss and the SRAM budget's end, exit ends the
 * run with its status (and a one-line memory summary on the host's stderr).
 */
#include <errno.h>
#include <sys/stat.h>

#include "tt_board_internal.h"

#undef errno
extern int errno;

extern char *tt__board_heap_top;

/* newlib's entry points; declared here since no header has them all */
int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
int _kill(int pid, int sig);
int _getpid(void);
void *_sbrk(ptrdiff_t increment);
void _exit(int status) __attribute__((noreturn));

int _write(int fd, const char *buf, int len)
{
    if (len < 0) {
        errno = EINVAL;
        return -1;
    }
    if (fd == 1) {
        tt_board_console_write(buf, (size_t)len);
        return len;
    }
    if (fd == 2) {
        tt__board_stderr_write(buf, (size_t)len);
        return len;
    }
    errno = EBADF;
    return -1;
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return 0;   /* end of input */
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}

void *_sbrk(ptrdiff_t increment)
{
    char *old;
    if (tt__board_heap_top == NULL) {
        tt__board_heap_top = __tt_heap_start;
    }
    old = tt__board_heap_top;
    if (increment > __tt_heap_end - old || increment < __tt_heap_start - old) {
        errno = ENOMEM;
        return (void *)-1;
    }
    tt__board_heap_top = old + increment;
    return old;
}

void _exit(int status)
{
    tt_board_debug_puts("tt_board: exit ");
    tt__board_put_u32((uint32_t)status, 0);
    tt_board_debug_puts(", stack peak ");
    tt__board_put_u32(tt_board_stack_peak(), 0);
    tt_board_debug_puts(" of ");
    tt__board_put_u32(tt_board_stack_size(), 0);
    tt_board_debug_puts(" B, static RAM ");
    tt__board_put_u32(tt_board_static_ram(), 0);
    tt_board_debug_puts(" B, heap used ");
    tt__board_put_u32(tt_board_heap_used(), 0);
    tt_board_debug_puts(" B, SRAM budget ");
    tt__board_put_u32(tt_board_ram_budget(), 0);
    tt_board_debug_puts(" B\n");
    tt_board_exit(status);
}
