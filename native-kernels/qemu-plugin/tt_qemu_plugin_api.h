/*
 * The few parts of QEMU's TCG plugin API (API version 1, QEMU 7.2; see QEMU's documentation,
 * docs/devel/tcg-plugins) that ttcount uses, declared from the documented signatures. Debian's QEMU
 * exports these symbols from qemu-system-arm but installs no header; the plugin is linked against
 * nothing and QEMU resolves the symbols when it loads the plugin.
 */
#ifndef TT_QEMU_PLUGIN_API_H
#define TT_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_QEMU_EXPORT __attribute__((visibility("default")))

/** The API version this plugin was written against; QEMU refuses a version outside [min, cur]. */
#define TT_QEMU_PLUGIN_API_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/** What QEMU passes to qemu_plugin_install. */
typedef struct {
    const char *target_name;     /* e.g. "arm" */
    struct {
        int min;                 /* oldest API version this QEMU accepts */
        int cur;                 /* its current API version */
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

/* Opaque handles, valid only during the translation callback that received them. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

/** Inline operations QEMU emits into the translated code. */
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0   /* *ptr += imm, a 64-bit add */
};

/** Whether a callback reads or writes guest registers (ttcount does neither). */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

/* Called when a block of guest code is translated. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);

/* Queries of a block being translated. */
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
/* The name of the ELF symbol that contains the instruction, or NULL. */
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);

/* Every execution of the block performs the inline operation first. */
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);

/* Every execution of the instruction calls cb before the instruction runs. */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);

/* Called once when QEMU exits (also after the guest's semihosting exit). */
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

#endif /* TT_QEMU_PLUGIN_API_H */
