// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_build.c - from rule files to a compiled, immutable ruleset, and the
 * engine that publishes it.
 *
 * DESIGN
 * Loading reads every file (or every *.rules file of a directory, sorted by
 * name), joins `\` continuation lines (a rule's line number is its first
 * line), parses each rule with detect_parse.c and reports every rule that
 * cannot be loaded as "file:line: reason". Rules are then ordered for
 * evaluation the way Suricata orders them where it matters for results:
 * rules that write flowbits first (so a bit set by one rule is visible to a
 * rule checking it on the same packet), then by priority, then by sid.
 * Finally the fast patterns are compiled into one Hyperscan database.
 *
 * Reload builds a complete new ruleset in the caller's thread (the control
 * thread) and publishes it with one atomic pointer store; a failed build
 * leaves the running one untouched. Workers notice the new pointer on their
 * next packet. Replaced rulesets are kept, not freed, until the engine is
 * freed: workers may still be scanning with them and alert events in the
 * output queue point at their struct event_sig. This costs the memory of one
 * ruleset per reload, which is acceptable for SIGHUP-driven reloads; an epoch
 * scheme can replace it when reloads become frequent.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "detect/detect_int.h"

/* Suricata's stock classification.config, used when none is found beside the rules. */
static const char default_classification[] =
	"config classification: not-suspicious,Not Suspicious Traffic,3\n"
	"config classification: unknown,Unknown Traffic,3\n"
	"config classification: bad-unknown,Potentially Bad Traffic, 2\n"
	"config classification: attempted-recon,Attempted Information Leak,2\n"
	"config classification: successful-recon-limited,Information Leak,2\n"
	"config classification: successful-recon-largescale,Large Scale Information Leak,2\n"
	"config classification: attempted-dos,Attempted Denial of Service,2\n"
	"config classification: successful-dos,Denial of Service,2\n"
	"config classification: attempted-user,Attempted User Privilege Gain,1\n"
	"config classification: unsuccessful-user,Unsuccessful User Privilege Gain,1\n"
	"config classification: successful-user,Successful User Privilege Gain,1\n"
	"config classification: attempted-admin,Attempted Administrator Privilege Gain,1\n"
	"config classification: successful-admin,Successful Administrator Privilege Gain,1\n"
	"config classification: rpc-portmap-decode,Decode of an RPC Query,2\n"
	"config classification: shellcode-detect,Executable code was detected,1\n"
	"config classification: string-detect,A suspicious string was detected,3\n"
	"config classification: suspicious-filename-detect,A suspicious filename was detected,2\n"
	"config classification: suspicious-login,An attempted login using a suspicious username was detected,2\n"
	"config classification: system-call-detect,A system call was detected,2\n"
	"config classification: tcp-connection,A TCP connection was detected,4\n"
	"config classification: trojan-activity,A Network Trojan was detected, 1\n"
	"config classification: unusual-client-port-connection,A client was using an unusual port,2\n"
	"config classification: network-scan,Detection of a Network Scan,3\n"
	"config classification: denial-of-service,Detection of a Denial of Service Attack,2\n"
	"config classification: non-standard-protocol,Detection of a non-standard protocol or event,2\n"
	"config classification: protocol-command-decode,Generic Protocol Command Decode,3\n"
	"config classification: web-application-activity,access to a potentially vulnerable web application,2\n"
	"config classification: web-application-attack,Web Application Attack,1\n"
	"config classification: misc-activity,Misc activity,3\n"
	"config classification: misc-attack,Misc Attack,2\n"
	"config classification: icmp-event,Generic ICMP event,3\n"
	"config classification: inappropriate-content,Inappropriate Content was Detected,1\n"
	"config classification: policy-violation,Potential Corporate Privacy Violation,1\n"
	"config classification: default-login-attempt,Attempt to login by a default username and password,2\n"
	"config classification: targeted-activity,Targeted Malicious Activity was Detected,1\n"
	"config classification: exploit-kit,Exploit Kit Activity Detected,1\n"
	"config classification: external-ip-check,Device Retrieving External IP Address Detected,2\n"
	"config classification: domain-c2,Domain Observed Used for C2 Detected,1\n"
	"config classification: pup-activity,Possibly Unwanted Program Detected,2\n"
	"config classification: credential-theft,Successful Credential Theft Detected,1\n"
	"config classification: social-engineering,Possible Social Engineering Attempted,2\n"
	"config classification: coin-mining,Crypto Currency Mining Activity Detected,2\n"
	"config classification: command-and-control,Malware Command and Control Activity Detected,1\n";

struct loader {
	struct det_parse_ctx ctx;
	struct det_rule **rules;
	uint32_t n_rules, cap;
	char **files;
	uint32_t n_files;
	struct det_load_result *res;
	bool quiet;
	int fatal;           /* -errno of a file-level failure */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static void count_skip(struct loader *l, const char *reason)
{
	struct det_load_result *res = l->res;
	struct det_skip_reason *r;
	char key[96];
	const char *q;

	if (!res)
		return;
	res->skipped++;
	/* Group by the reason's wording without its variable tail, except for the
	 * unsupported keyword/protocol/modifier which is what the summary is for. */
	q = strchr(reason, '\'');
	if (q && (strstr(reason, "unsupported") || strstr(reason, "unknown classtype")))
		q = strchr(q + 1, '\'') ? strchr(q + 1, '\'') + 1 : NULL;
	snprintf(key, sizeof(key), "%.*s", q ? (int)(q - reason) : (int)strlen(reason), reason);
	for (size_t n = strlen(key); n && key[n - 1] == ' '; n--)
		key[n - 1] = 0;
	for (uint32_t i = 0; i < res->n_reasons; i++) {
		if (!strcmp(res->reasons[i].reason, key)) {
			res->reasons[i].count++;
			return;
		}
	}
	r = realloc(res->reasons, (res->n_reasons + 1) * sizeof(*r));
	if (!r)
		return;
	res->reasons = r;
	r[res->n_reasons].reason = strdup(key);
	r[res->n_reasons].count = 1;
	if (r[res->n_reasons].reason)
		res->n_reasons++;
}

static void report(struct loader *l, const char *file, uint32_t line, const char *reason)
{
	if (!l->quiet)
		pr_warn("%s:%u: %s\n", file, line, reason);
	count_skip(l, reason);
}

static int add_rule(struct loader *l, struct det_rule *r)
{
	if (l->n_rules == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		struct det_rule **nr = realloc(l->rules, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		l->rules = nr;
		l->cap = cap;
	}
	l->rules[l->n_rules++] = r;
	return 0;
}

static int load_text(struct loader *l, const char *file, char *text)
{
	char *p = text, err[256];
	uint32_t lineno = 0;
	char *acc = NULL;
	size_t acc_len = 0;
	uint32_t first = 0;

	while (*p) {
		char *nl = strchr(p, '\n'), *line = p, *e;
		size_t len;

		if (nl)
			*nl = 0;
		p = nl ? nl + 1 : p + strlen(p);
		lineno++;
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		e = line + len;
		/* A trailing backslash continues the rule on the next line. */
		if (e > line && e[-1] == '\\') {
			char *na = realloc(acc, acc_len + len + 1);

			if (!na)
				goto nomem;
			acc = na;
			if (!acc_len)
				first = lineno;
			memcpy(acc + acc_len, line, len - 1);
			acc_len += len - 1;
			acc[acc_len] = 0;
			continue;
		}
		if (acc_len) {
			char *na = realloc(acc, acc_len + len + 1);

			if (!na)
				goto nomem;
			acc = na;
			memcpy(acc + acc_len, line, len + 1);
			line = acc;
			acc_len = 0;
		} else {
			first = lineno;
		}
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		{
			struct det_rule *r = det_rule_parse(&l->ctx, line, err, sizeof(err));

			if (!r) {
				report(l, file, first, err);
				continue;
			}
			r->file = file;
			r->line = first;
			if (add_rule(l, r)) {
				det_rule_free(r);
				goto nomem;
			}
		}
	}
	if (acc_len) {
		report(l, file, first, "rule continues past the end of the file");
	}
	free(acc);
	return 0;
nomem:
	free(acc);
	return -ENOMEM;
}

static int load_file(struct loader *l, const char *path)
{
	char **nf, *text, *name;
	size_t len;
	int e;

	text = read_file(path, &len);
	if (!text) {
		e = -errno;
		pr_warn("open rules %s: %s\n", path, strerror(errno));
		return e;
	}
	name = strdup(path);
	nf = realloc(l->files, (l->n_files + 1) * sizeof(*nf));
	if (!name || !nf) {
		free(name);
		free(text);
		if (nf)
			l->files = nf;
		return -ENOMEM;
	}
	l->files = nf;
	nf[l->n_files++] = name;
	if (memchr(text, 0, len)) {
		free(text);
		pr_warn("read rules %s: binary file\n", path);
		return -EINVAL;
	}
	e = load_text(l, name, text);
	free(text);
	return e;
}

static int rules_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 6 && !strcmp(d->d_name + n - 6, ".rules");
}

static int load_path(struct loader *l, const char *path)
{
	struct dirent **ents = NULL;
	struct stat st;
	int n, e = 0;

	if (stat(path, &st)) {
		e = -errno;
		pr_warn("open rules %s: %s\n", path, strerror(errno));
		return e;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(l, path);
	n = scandir(path, &ents, rules_filter, alphasort);
	if (n < 0) {
		e = -errno;
		pr_warn("open rules directory %s: %s\n", path, strerror(errno));
		return e;
	}
	for (int i = 0; i < n; i++) {
		char *full = NULL;

		if (!e && asprintf(&full, "%s/%s", path, ents[i]->d_name) < 0)
			e = -ENOMEM;
		if (!e)
			e = load_file(l, full);
		free(full);
		free(ents[i]);
	}
	free(ents);
	return e;
}

/* classification.config: the given path, else beside the first rule path, else built in. */
static int load_classification(struct loader *l, const struct detect_opts *opts)
{
	char err[256] = "", *text = NULL, *guess = NULL;
	const char *path = opts->classification;
	size_t len;
	int e;

	if (!path && opts->rule_paths && opts->rule_paths[0]) {
		struct stat st;
		char *copy = strdup(opts->rule_paths[0]);

		if (!copy)
			return -ENOMEM;
		if (!stat(copy, &st) && S_ISDIR(st.st_mode)) {
			if (asprintf(&guess, "%s/classification.config", copy) < 0)
				guess = NULL;
		} else if (asprintf(&guess, "%s/classification.config", dirname(copy)) < 0) {
			guess = NULL;
		}
		free(copy);
		if (guess && !access(guess, R_OK))
			path = guess;
	}
	if (path) {
		text = read_file(path, &len);
		if (!text) {
			e = -errno;
			pr_warn("open classification %s: %s\n", path, strerror(errno));
			free(guess);
			return e;
		}
	}
	e = det_ctx_add_classification(&l->ctx, text ? text : default_classification, err,
				       sizeof(err));
	if (e)
		pr_warn("classification %s: %s\n", path ? path : "(built in)", err);
	free(text);
	free(guess);
	return e;
}

static int sid_cmp(const void *a, const void *b)
{
	const struct det_rule *x = *(struct det_rule *const *)a, *y = *(struct det_rule *const *)b;

	if (x->sig.gid != y->sig.gid)
		return x->sig.gid < y->sig.gid ? -1 : 1;
	if (x->sig.sid != y->sig.sid)
		return x->sig.sid < y->sig.sid ? -1 : 1;
	/* load order: the earlier definition wins */
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool writes_flowbits(const struct det_rule *r)
{
	for (uint32_t i = 0; i < r->n_fb; i++)
		if (r->fb[i].cmd <= DET_FB_TOGGLE)
			return true;
	return false;
}

static int eval_cmp(const void *a, const void *b)
{
	const struct det_rule *x = *(struct det_rule *const *)a, *y = *(struct det_rule *const *)b;
	bool wx = writes_flowbits(x), wy = writes_flowbits(y);

	if (wx != wy)
		return wx ? -1 : 1;
	if (x->sig.severity != y->sig.severity)
		return x->sig.severity < y->sig.severity ? -1 : 1;
	if (x->sig.sid != y->sig.sid)
		return x->sig.sid < y->sig.sid ? -1 : 1;
	return x->sig.gid < y->sig.gid ? -1 : x->sig.gid > y->sig.gid;
}

/* Drop duplicate (gid, sid) pairs, report them, keep load order otherwise. */
static int dedupe(struct loader *l)
{
	struct det_rule **sorted;
	uint32_t o = 0;
	char err[160];

	for (uint32_t i = 0; i < l->n_rules; i++)
		l->rules[i]->idx = i;
	if (l->n_rules < 2)
		return 0;
	sorted = malloc(l->n_rules * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, l->rules, l->n_rules * sizeof(*sorted));
	qsort(sorted, l->n_rules, sizeof(*sorted), sid_cmp);
	for (uint32_t i = 1; i < l->n_rules; i++) {
		struct det_rule *p = sorted[i - 1], *r = sorted[i];

		if (p->sig.gid == r->sig.gid && p->sig.sid == r->sig.sid) {
			snprintf(err, sizeof(err), "duplicate sid %u (first at %s:%u)", r->sig.sid,
				 p->file, p->line);
			report(l, r->file, r->line, err);
			sorted[i] = p; /* later duplicates compare against the first */
			l->rules[r->idx] = NULL;
			det_rule_free(r);
		}
	}
	free(sorted);
	for (uint32_t i = 0; i < l->n_rules; i++)
		if (l->rules[i])
			l->rules[o++] = l->rules[i];
	l->n_rules = o;
	return 0;
}

static int assign_flowbits(struct det_ruleset *rs)
{
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		struct det_rule *r = rs->rules[i];

		for (uint32_t j = 0; j < r->n_fb; j++) {
			uint32_t k;

			for (k = 0; k < rs->n_flowbits; k++)
				if (!strcmp(rs->flowbit_names[k], r->fb[j].name))
					break;
			if (k == rs->n_flowbits) {
				char **n = realloc(rs->flowbit_names, (k + 1) * sizeof(*n));

				if (!n)
					return -ENOMEM;
				rs->flowbit_names = n;
				n[k] = strdup(r->fb[j].name);
				if (!n[k])
					return -ENOMEM;
				rs->n_flowbits++;
			}
			r->fb[j].id = k;
		}
	}
	return 0;
}

/*
 * An address group this small is worth indexing: at most 1/16 of the IPv4
 * space (block lists of /16../24 networks qualify; $HOME_NET, 1/256 of the
 * space, too) and 2^96 IPv6 addresses. Wider groups (!$HOME_NET, any) would
 * sit in almost every interval of the index and are checked linearly instead.
 */
#define DET_AIDX_MAX_V4 ((det_u128)1 << 28)
#define DET_AIDX_MAX_V6 ((det_u128)1 << 96)

/* Addresses in @s, or @max + 1 when more than @max. */
static det_u128 rset_cover(const struct det_rset *s, det_u128 max)
{
	det_u128 c = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		det_u128 n = s->r[i].hi - s->r[i].lo;

		if (n >= max || c + n + 1 > max)
			return max + 1;
		c += n + 1;
	}
	return c;
}

/* Share of its families' space the group covers, in 1/2^32 units (0 = tiny); -1 if wide. */
static int64_t addrs_weight(const struct det_addrs *a)
{
	det_u128 c4, c6;

	if (a->any)
		return -1;
	c4 = rset_cover(&a->v4, DET_AIDX_MAX_V4);
	c6 = rset_cover(&a->v6, DET_AIDX_MAX_V6);
	if (c4 > DET_AIDX_MAX_V4 || c6 > DET_AIDX_MAX_V6)
		return -1;
	return (int64_t)(c4 + (c6 >> 96));
}

/* Which side of @r to index (the more selective one), or -1 (both wide, or <>). */
static int aidx_side(const struct det_rule *r)
{
	int64_t ws, wd;

	if (r->bidir)
		return -1;
	ws = addrs_weight(&r->src);
	wd = addrs_weight(&r->dst);
	if (ws >= 0 && wd >= 0)
		return ws <= wd ? DET_AIDX_SRC : DET_AIDX_DST;
	return ws >= 0 ? DET_AIDX_SRC : wd >= 0 ? DET_AIDX_DST : -1;
}

struct aidx_ev {
	det_u128 pos;
	uint32_t rule;
	int add;
};

static int aidx_ev_cmp(const void *a, const void *b)
{
	const struct aidx_ev *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->add - y->add;
}

/* Elementary intervals of the ranges of @sets (one per rule in @rules). */
static int aidx_build(struct det_aidx *ix, struct det_rule **all, const uint32_t *rules,
		      uint32_t n_rules, int side, int fam)
{
	const det_u128 max = fam ? ~(det_u128)0 : 0xffffffffu;
	struct aidx_ev *ev = NULL;
	uint32_t n_ev = 0, cap_ev = 0, *act = NULL, n_act = 0, n_out = 0, cap_out = 0;
	int e = -ENOMEM;

	for (uint32_t i = 0; i < n_rules; i++) {
		const struct det_addrs *a = side == DET_AIDX_SRC ? &all[rules[i]]->src :
								   &all[rules[i]]->dst;
		const struct det_rset *s = fam ? &a->v6 : &a->v4;

		for (uint32_t j = 0; j < s->n; j++) {
			if (n_ev + 2 > cap_ev) {
				struct aidx_ev *ne;

				cap_ev = cap_ev ? cap_ev * 2 : 1024;
				ne = realloc(ev, cap_ev * sizeof(*ev));
				if (!ne)
					goto out;
				ev = ne;
			}
			ev[n_ev++] = (struct aidx_ev){ s->r[j].lo, rules[i], 1 };
			if (s->r[j].hi != max)
				ev[n_ev++] = (struct aidx_ev){ s->r[j].hi + 1, rules[i], 0 };
		}
	}
	if (!n_ev)
		return 0;
	qsort(ev, n_ev, sizeof(*ev), aidx_ev_cmp);
	act = malloc(n_rules * sizeof(*act));
	ix->start = malloc(n_ev * sizeof(*ix->start));
	ix->off = malloc((n_ev + 1) * sizeof(*ix->off));
	if (!act || !ix->start || !ix->off)
		goto out;
	for (uint32_t i = 0; i < n_ev;) {
		det_u128 pos = ev[i].pos;

		for (; i < n_ev && ev[i].pos == pos; i++) {
			if (ev[i].add) {
				act[n_act++] = ev[i].rule;
				continue;
			}
			for (uint32_t k = 0; k < n_act; k++) {
				if (act[k] == ev[i].rule) {
					act[k] = act[--n_act];
					break;
				}
			}
		}
		if (n_out + n_act > cap_out) {
			uint32_t *nr;

			cap_out = (n_out + n_act) * 2;
			nr = realloc(ix->rules, cap_out * sizeof(*nr));
			if (!nr)
				goto out;
			ix->rules = nr;
		}
		ix->start[ix->n] = pos;
		ix->off[ix->n] = n_out;
		memcpy(ix->rules + n_out, act, n_act * sizeof(*act));
		n_out += n_act;
		ix->n++;
	}
	ix->off[ix->n] = n_out;
	e = 0;
out:
	free(ev);
	free(act);
	return e;
}

static void aidx_free(struct det_aidx *ix)
{
	free(ix->start);
	free(ix->off);
	free(ix->rules);
	memset(ix, 0, sizeof(*ix));
}

static int build_hdr_lists(struct det_ruleset *rs)
{
	static const uint8_t pc_proto[5] = {
		[DET_PC_TCP] = DET_PROTO_TCP, [DET_PC_UDP] = DET_PROTO_UDP,
		[DET_PC_ICMP] = DET_PROTO_ICMP, [DET_PC_ICMP6] = DET_PROTO_ICMP6,
		[DET_PC_OTHER] = DET_PROTO_OTHER,
	};
	uint32_t *side_rules[2] = { NULL, NULL }, n_side[2] = { 0, 0 };
	int8_t *side = calloc(rs->n_rules ? rs->n_rules : 1, 1);
	int e = -ENOMEM;

	side_rules[0] = malloc((rs->n_rules ? rs->n_rules : 1) * sizeof(uint32_t));
	side_rules[1] = malloc((rs->n_rules ? rs->n_rules : 1) * sizeof(uint32_t));
	if (!side || !side_rules[0] || !side_rules[1])
		goto out;
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		side[i] = rs->rules[i]->fp < 0 ? (int8_t)aidx_side(rs->rules[i]) : -1;
		if (side[i] >= 0)
			side_rules[side[i]][n_side[side[i]]++] = i;
	}
	for (int s = 0; s < 2; s++)
		for (int fam = 0; fam < 2; fam++)
			if (aidx_build(&rs->aidx[s][fam], rs->rules, side_rules[s], n_side[s], s, fam))
				goto out;
	for (int pc = 0; pc < 5; pc++) {
		rs->hdr_only[pc] = malloc((rs->n_rules ? rs->n_rules : 1) * sizeof(uint32_t));
		if (!rs->hdr_only[pc])
			goto out;
		for (uint32_t i = 0; i < rs->n_rules; i++) {
			const struct det_rule *r = rs->rules[i];

			if (r->fp < 0 && side[i] < 0 && r->protos & pc_proto[pc])
				rs->hdr_only[pc][rs->n_hdr_only[pc]++] = i;
		}
	}
	e = 0;
out:
	free(side);
	free(side_rules[0]);
	free(side_rules[1]);
	return e;
}

void det_load_result_free(struct det_load_result *res)
{
	if (!res)
		return;
	for (uint32_t i = 0; i < res->n_reasons; i++)
		free(res->reasons[i].reason);
	free(res->reasons);
	memset(res, 0, sizeof(*res));
}

void det_ruleset_free(struct det_ruleset *rs)
{
	if (!rs)
		return;
	for (uint32_t i = 0; i < rs->n_rules; i++)
		det_rule_free(rs->rules[i]);
	free(rs->rules);
	for (int i = 0; i < 5; i++)
		free(rs->hdr_only[i]);
	for (int i = 0; i < 2; i++) {
		aidx_free(&rs->aidx[i][0]);
		aidx_free(&rs->aidx[i][1]);
	}
	for (uint32_t i = 0; i < rs->n_flowbits; i++)
		free(rs->flowbit_names[i]);
	free(rs->flowbit_names);
	for (uint32_t i = 0; i < rs->n_files; i++)
		free(rs->files[i]);
	free(rs->files);
	det_hs_free(rs->hs);
	free(rs);
}

struct det_ruleset *det_ruleset_build(const struct detect_opts *opts, bool quiet,
				      struct det_load_result *res)
{
	struct det_load_result local = { 0 };
	struct loader l = { .quiet = quiet };
	struct det_ruleset *rs = NULL;
	double t0 = now_ms();
	char err[256] = "";
	int e = 0;

	l.res = res ? res : &local;
	memset(l.res, 0, sizeof(*l.res));
	e = det_ctx_init(&l.ctx);
	for (uint32_t i = 0; !e && opts->vars && i < opts->n_vars; i++)
		e = det_ctx_set_var(&l.ctx, opts->vars[i].name, opts->vars[i].value);
	/* A bad override would fail every rule using it: report it once, by name. */
	for (uint32_t i = 0; !e && opts->vars && i < opts->n_vars; i++) {
		e = det_ctx_check_var(&l.ctx, opts->vars[i].name, err, sizeof(err));
		if (e)
			pr_warn("variable %s: %s\n", opts->vars[i].name, err);
	}
	if (!e)
		e = load_classification(&l, opts);
	for (uint32_t i = 0; !e && opts->rule_paths && opts->rule_paths[i]; i++)
		e = load_path(&l, opts->rule_paths[i]);
	if (!e)
		e = dedupe(&l);
	if (e)
		goto out;
	l.res->loaded = l.n_rules;
	l.res->files = l.n_files;
	if (opts->strict && l.res->skipped) {
		pr_warn("rules: %u rule(s) failed to load (strict)\n", l.res->skipped);
		e = -EINVAL;
		goto out;
	}
	if (!l.n_rules && l.res->skipped) {
		pr_warn("rules: no rule could be loaded\n");
		e = -EINVAL;
		goto out;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		e = -ENOMEM;
		goto out;
	}
	if (l.n_rules)
		qsort(l.rules, l.n_rules, sizeof(*l.rules), eval_cmp);
	rs->rules = l.rules;
	rs->n_rules = l.n_rules;
	rs->files = l.files;
	rs->n_files = l.n_files;
	l.rules = NULL;
	l.n_rules = 0;
	l.files = NULL;
	l.n_files = 0;
	for (uint32_t i = 0; i < rs->n_rules; i++)
		rs->rules[i]->idx = i;
	e = assign_flowbits(rs);
	if (!e)
		e = build_hdr_lists(rs);
	if (!e)
		e = det_hs_build(rs, err, sizeof(err));
	if (e) {
		if (*err)
			pr_warn("rules: %s\n", err);
		det_ruleset_free(rs);
		rs = NULL;
		goto out;
	}
	l.res->compile_ms = now_ms() - t0;
	pr_info("rules: %u loaded, %u skipped, %u file(s), built in %.1f ms\n", l.res->loaded,
		l.res->skipped, l.res->files, l.res->compile_ms);
out:
	for (uint32_t i = 0; i < l.n_rules; i++)
		det_rule_free(l.rules[i]);
	free(l.rules);
	for (uint32_t i = 0; i < l.n_files; i++)
		free(l.files[i]);
	free(l.files);
	det_ctx_free(&l.ctx);
	det_load_result_free(&local);
	if (!rs)
		errno = -e;
	return rs;
}

/* --- engine ----------------------------------------------------------------- */

struct detect_engine {
	_Atomic(struct det_ruleset *) cur;
	pthread_mutex_t lock;          /* serialises reloads and the retired list */
	struct det_ruleset *retired;
};

struct det_ruleset *det_engine_current(struct detect_engine *de)
{
	return atomic_load_explicit(&de->cur, memory_order_acquire);
}

static void fill_report(struct detect_load_report *rep, const struct det_load_result *res)
{
	if (!rep)
		return;
	rep->loaded = res->loaded;
	rep->skipped = res->skipped;
	rep->files = res->files;
	rep->compile_ms = res->compile_ms;
}

struct detect_engine *detect_engine__new(const struct detect_opts *opts,
					 struct detect_load_report *rep)
{
	struct det_load_result res = { 0 };
	struct detect_engine *de;
	struct det_ruleset *rs;
	int e;

	rs = det_ruleset_build(opts, false, &res);
	e = errno;
	fill_report(rep, &res);
	det_load_result_free(&res);
	if (!rs) {
		errno = e;
		return NULL;
	}
	de = calloc(1, sizeof(*de));
	if (!de) {
		det_ruleset_free(rs);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&de->lock, NULL);
	atomic_store(&de->cur, rs);
	return de;
}

int detect_engine__reload(struct detect_engine *de, const struct detect_opts *opts,
			  struct detect_load_report *rep)
{
	struct det_load_result res = { 0 };
	struct det_ruleset *rs, *old;
	int e;

	rs = det_ruleset_build(opts, false, &res);
	e = errno;
	fill_report(rep, &res);
	det_load_result_free(&res);
	if (!rs) {
		pr_warn("rules reload failed, keeping the running ruleset\n");
		return -e;
	}
	pthread_mutex_lock(&de->lock);
	old = atomic_exchange_explicit(&de->cur, rs, memory_order_acq_rel);
	old->retired_next = de->retired;
	de->retired = old;
	pthread_mutex_unlock(&de->lock);
	return 0;
}

void detect_engine__free(struct detect_engine *de)
{
	struct det_ruleset *rs, *next;

	if (!de)
		return;
	det_ruleset_free(atomic_load(&de->cur));
	for (rs = de->retired; rs; rs = next) {
		next = rs->retired_next;
		det_ruleset_free(rs);
	}
	pthread_mutex_destroy(&de->lock);
	free(de);
}
