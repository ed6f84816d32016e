// SPDX-License-Identifier: GPL-2.0-only
/* cli.c - number and size parsing for options (see cli.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "core/cli.h"

static int parse(const char *s, uint64_t min, uint64_t max, uint64_t *out, int allow_suffix)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (allow_suffix && *end) {
		switch (*end) {
		case 'k': case 'K': mult = 1ull << 10; break;
		case 'm': case 'M': mult = 1ull << 20; break;
		case 'g': case 'G': mult = 1ull << 30; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'b' || *end == 'B' || *end == 'i')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (v > max / mult)
		return -ERANGE;
	v *= mult;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse(s, min, max, out, 0);
}

int cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse(s, min, max, out, 1);
}
