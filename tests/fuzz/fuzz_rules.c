// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_rules.c - libFuzzer target for the rule parser (detect_parse.c).
 *
 * The input is one rule's text. A rule that parses is then matched against
 * its own bytes, so the payload chain (contents, pcre, relative windows with
 * negative distances) runs on parser output it was never written for. The
 * parse context (default variables, a classification) is built once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect/detect_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct det_parse_ctx ctx;
static pcre2_match_data *md;
static void *mctx;

static void init_once(void)
{
	static int done;
	char err[128];

	if (done)
		return;
	done = 1;
	det_ctx_init(&ctx);
	det_ctx_add_classification(&ctx,
				   "config classification: trojan-activity,A Network Trojan was detected,1\n"
				   "config classification: misc-activity,Misc activity,3\n",
				   err, sizeof(err));
	md = pcre2_match_data_create(1, NULL);
	mctx = det_pcre_limits_new();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct det_rule *r;
	char err[256], *text;

	init_once();
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	r = det_rule_parse(&ctx, text, err, sizeof(err));
	if (r) {
		det_pm_match_lim(r, data, (uint32_t)size, 0, md, mctx);
		det_pm_match_lim(r, data, (uint32_t)size, (uint32_t)size / 2, md, mctx);
		det_rule_free(r);
	}
	free(text);
	return 0;
}
