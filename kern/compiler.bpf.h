/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * compiler.bpf.h - compiler helpers for the BPF programs: inlining, branch
 * hints, READ_ONCE and compile-time checks. The one home for these, so no
 * other kern/ header redefines them.
 */
#ifndef WEIR_COMPILER_BPF_H
#define WEIR_COMPILER_BPF_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define build_bug_on(e) _Static_assert(!(e), #e)

#ifndef min
#define min(a, b) ((a) < (b) ? (a) : (b))
#endif

/*
 * barrier_var() - make the compiler forget what it knows about @var, so it
 * emits the range check the verifier needs instead of folding it away.
 * libbpf's bpf_helpers.h defines the same when it is included first.
 */
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

#endif /* WEIR_COMPILER_BPF_H */
