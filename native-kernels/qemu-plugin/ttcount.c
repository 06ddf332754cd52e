/*
 * ttcount: a QEMU TCG plugin that counts executed guest instructions, in total and per marked region.
 *
 *   qemu-system-arm ... -plugin ttcount.so[,begin=SYM|0xADDR][,end=SYM|0xADDR][,out=FILE][,symbols=on]
 *
 * Regions: the firmware calls tt_count_begin() and tt_count_end() (boards/src/tt_board_count.c) around
 * the code to measure; the plugin reports the instructions executed strictly between the two marker
 * instructions (the call of tt_count_end included, nothing of either marker function). Each end prints
 *
 *   ttcount region <n> <instructions>
 *
 * with n = 1, 2, ... in execution order, so a firmware that prints its own labels in the same order can
 * be paired with the counts. At exit: "ttcount total <instructions>" and, with symbols=on, one line
 * "ttcount symbol <instructions> <name>" per function (each block charged to its first instruction's
 * symbol), largest first.
 *
 * A marker is matched by symbol name (the first instruction of a translated block inside that symbol:
 * marker functions are call targets, so their entry starts a block) or by address (0x..., Thumb bit
 * ignored). Counting: every translated block adds its instruction count inline when it starts; a marker
 * instruction's callback subtracts the instructions of its block that have not executed yet. Exact for
 * straight-line blocks, which is what QEMU translates; a block cut short by an exception is counted whole.
 * Instructions, not cycles: an IT-skipped instruction counts, a multi-cycle one counts once.
 */
#define _POSIX_C_SOURCE 200809L   /* strdup */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_qemu_plugin_api.h"

TT_QEMU_EXPORT int qemu_plugin_version = TT_QEMU_PLUGIN_API_VERSION;

#define TT_MAX_SYMBOLS 4096

/* A marker: a symbol name or (name == NULL) an address. */
typedef struct {
    const char *name;
    uint64_t addr;
} marker;

typedef struct {
    const char *name;   /* QEMU's string; stable for the run */
    uint64_t count;
} symbol_count;

static marker begin_marker = {"tt_count_begin", 0};
static marker end_marker = {"tt_count_end", 0};
static FILE *out;
static int per_symbol;

static uint64_t total;          /* instructions of every block started so far */
static uint64_t region_start;   /* instruction count at the end of the begin marker */
static int region_open;
static uint64_t regions;

static symbol_count symbols[TT_MAX_SYMBOLS];
static size_t n_symbols;
static uint64_t unattributed;   /* blocks without a symbol, or past TT_MAX_SYMBOLS names */

/* Userdata of a marker callback: which marker, and the instructions of its block from it to the end. */
#define TT_MARK_END_FLAG ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))

static void on_marker(unsigned int vcpu, void *userdata)
{
    const uintptr_t u = (uintptr_t)userdata;
    const uint64_t pending = (uint64_t)(u & ~TT_MARK_END_FLAG);   /* the marker and what follows it */
    const uint64_t before = total - pending;                        /* executed before the marker */
    (void)vcpu;
    if ((u & TT_MARK_END_FLAG) == 0) {
        if (region_open) {
            fprintf(out, "ttcount warning: %s again before %s; restarting the region\n",
                    begin_marker.name ? begin_marker.name : "begin", end_marker.name ? end_marker.name : "end");
        }
        region_start = before + 1;
        region_open = 1;
    } else if (region_open) {
        ++regions;
        fprintf(out, "ttcount region %llu %llu\n", (unsigned long long)regions,
                (unsigned long long)(before - region_start));
        fflush(out);
        region_open = 0;
    } else {
        fprintf(out, "ttcount warning: %s without %s; ignored\n", end_marker.name ? end_marker.name : "end",
                begin_marker.name ? begin_marker.name : "begin");
    }
}

static int matches(const marker *m, struct qemu_plugin_insn *insn, size_t idx, const char *sym)
{
    if (m->name == NULL) {
        return (qemu_plugin_insn_vaddr(insn) & ~(uint64_t)1) == m->addr;
    }
    return idx == 0 && sym != NULL && strcmp(sym, m->name) == 0;
}

/** The counter of a symbol, created on first sight; NULL when the table is full. */
static uint64_t *symbol_counter(const char *name)
{
    size_t i;
    for (i = 0; i < n_symbols; ++i) {
        if (symbols[i].name == name || strcmp(symbols[i].name, name) == 0) {
            return &symbols[i].count;
        }
    }
    if (n_symbols == TT_MAX_SYMBOLS) {
        return NULL;
    }
    symbols[n_symbols].name = name;
    symbols[n_symbols].count = 0;
    return &symbols[n_symbols++].count;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    const size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
    if (per_symbol && n > 0) {
        const char *sym = qemu_plugin_insn_symbol(qemu_plugin_tb_get_insn(tb, 0));
        uint64_t *counter = sym != NULL ? symbol_counter(sym) : NULL;
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                 counter != NULL ? counter : &unattributed, n);
    }
    for (i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const char *sym = qemu_plugin_insn_symbol(insn);
        const uintptr_t pending = (uintptr_t)(n - i);
        if (matches(&begin_marker, insn, i, sym)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, (void *)pending);
        } else if (matches(&end_marker, insn, i, sym)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(pending | TT_MARK_END_FLAG));
        }
    }
}

static int by_count_desc(const void *a, const void *b)
{
    const uint64_t x = ((const symbol_count *)a)->count, y = ((const symbol_count *)b)->count;
    return x < y ? 1 : (x > y ? -1 : 0);
}

static void report_at_exit(qemu_plugin_id_t id, void *userdata)
{
    size_t i;
    (void)id;
    (void)userdata;
    if (region_open) {
        fprintf(out, "ttcount warning: a region was still open at exit\n");
    }
    fprintf(out, "ttcount total %llu\n", (unsigned long long)total);
    if (per_symbol) {
        qsort(symbols, n_symbols, sizeof symbols[0], by_count_desc);
        for (i = 0; i < n_symbols; ++i) {
            if (symbols[i].count != 0) {
                fprintf(out, "ttcount symbol %llu %s\n", (unsigned long long)symbols[i].count, symbols[i].name);
            }
        }
        if (unattributed != 0) {
            fprintf(out, "ttcount symbol %llu (no symbol)\n", (unsigned long long)unattributed);
        }
    }
    fflush(out);
    if (out != stderr) {
        fclose(out);
    }
}

/** begin=/end= value: 0x... is an address, anything else a symbol name. 0 when valid. */
static int parse_marker(const char *value, marker *m)
{
    char *end;
    if (value[0] == '\0') {
        return -1;
    }
    if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
        m->addr = strtoull(value, &end, 16) & ~(uint64_t)1;
        m->name = NULL;
        return *end == '\0' ? 0 : -1;
    }
    m->name = strdup(value);
    return m->name != NULL ? 0 : -1;
}

TT_QEMU_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    int i;
    out = stderr;
    if (info->version.cur < TT_QEMU_PLUGIN_API_VERSION) {
        fprintf(stderr, "ttcount: QEMU's plugin API %d is older than %d\n", info->version.cur,
                TT_QEMU_PLUGIN_API_VERSION);
        return -1;
    }
    for (i = 0; i < argc; ++i) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        const size_t key = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        const char *value = eq != NULL ? eq + 1 : "";
        int bad = 0;
        if (key == 5 && strncmp(arg, "begin", 5) == 0) {
            bad = parse_marker(value, &begin_marker);
        } else if (key == 3 && strncmp(arg, "end", 3) == 0) {
            bad = parse_marker(value, &end_marker);
        } else if (key == 3 && strncmp(arg, "out", 3) == 0) {
            out = fopen(value, "w");
            if (out == NULL) {
                fprintf(stderr, "ttcount: cannot write %s\n", value);
                return -1;
            }
        } else if (key == 7 && strncmp(arg, "symbols", 7) == 0) {
            per_symbol = strcmp(value, "on") == 0 || strcmp(value, "true") == 0;
            bad = !per_symbol && strcmp(value, "off") != 0 && strcmp(value, "false") != 0;
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "ttcount: bad argument '%s' (known: begin=SYMBOL|0xADDR, end=SYMBOL|0xADDR, "
                            "out=FILE, symbols=on|off)\n", arg);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report_at_exit, NULL);
    return 0;
}
