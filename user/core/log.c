// SPDX-License-Identifier: GPL-2.0-only
/* log.c - stderr logging with a process-wide level. */
#include <stdio.h>

#include "core/log.h"

static enum log_level log_level = LOG_LEVEL_WARN;

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_LEVEL_ERROR] = "weir: error: ",
		[LOG_LEVEL_WARN] = "weir: warning: ",
		[LOG_LEVEL_INFO] = "weir: ",
		[LOG_LEVEL_DEBUG] = "weir: debug: ",
	};
	va_list ap;

	if (lvl > log_level)
		return;
	/* One fprintf per message so lines from threads do not interleave. */
	char buf[1024];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s%s", prefix[lvl], buf);
}
