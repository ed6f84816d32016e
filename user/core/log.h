/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log.h - diagnostics on stderr: pr_warn / pr_info / pr_debug.
 *
 * Messages name the operation and the object, then the reason:
 * pr_warn("open %s: %s\n", path, strerror(errno)). The level is set once at
 * startup (-v raises it); libbpf output goes through log_libbpf_print().
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* log_set_level() - messages above @lvl are discarded. Not thread-safe: call at startup. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* WEIR_LOG_H */
