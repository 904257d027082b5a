/* fault.c — see fault.h. */
#include "fault.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FAULT_RULES_MAX 64

struct fault_rule {
	char pattern[256];
	struct fault_spec spec;
	bool from_file;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault_rule fault_rules[FAULT_RULES_MAX];
static int fault_nrules;
static _Atomic int fault_armed = -1; /* -1: env not looked at yet */
static const char *fault_file;
static struct timespec fault_file_mtime;
static uint64_t fault_file_checked_ns;

static const char *const fault_names[FAULT_MAX] = {
	[FAULT_NONE] = "none", [FAULT_FAIL] = "fail", [FAULT_HANG] = "hang",
	[FAULT_TEAR] = "tear", [FAULT_DELAY] = "delay", [FAULT_LATE] = "late",
	[FAULT_KILL] = "kill",
};

const char *fault_action_to_string(enum fault_action a)
{
	return a >= 0 && a < FAULT_MAX ? fault_names[a] : "?";
}

int fault_parse_line(const char *line, char *ret_pattern, size_t pattern_len,
		     struct fault_spec *ret_spec)
{
	char pat[256], act[32], a1[64] = "", a2[64] = "";
	struct fault_spec s = {0};
	int n = sscanf(line, "%255s %31s %63s %63s", pat, act, a1, a2);

	if (n < 2 || strlen(pat) >= pattern_len)
		return -EINVAL;
	for (int i = 1; i < FAULT_MAX; i++)
		if (!strcmp(act, fault_names[i]))
			s.action = (enum fault_action)i;
	if (s.action == FAULT_NONE)
		return -EINVAL;
	for (int k = 0; k < 2; k++) {
		const char *a = k ? a2 : a1;
		char *end;
		if (!*a)
			continue;
		if (!strncmp(a, "count=", 6)) {
			unsigned long c = strtoul(a + 6, &end, 10);
			if (*end || c > UINT32_MAX)
				return -EINVAL;
			s.count = (uint32_t)c;
		} else {
			unsigned long long v = strtoull(a, &end, 10);
			if (*end)
				return -EINVAL;
			s.arg = v;
		}
	}
	if (s.action == FAULT_FAIL && s.arg == 0)
		s.arg = EIO;
	strcpy(ret_pattern, pat);
	*ret_spec = s;
	return 0;
}

static int fault_set_locked(const char *pattern, const struct fault_spec *spec, bool from_file)
{
	int i;

	for (i = 0; i < fault_nrules; i++)
		if (!strcmp(fault_rules[i].pattern, pattern))
			break;
	if (i == fault_nrules) {
		if (fault_nrules == FAULT_RULES_MAX)
			return -ENOMEM;
		fault_nrules++;
	}
	snprintf(fault_rules[i].pattern, sizeof(fault_rules[i].pattern), "%s", pattern);
	fault_rules[i].spec = *spec;
	fault_rules[i].from_file = from_file;
	return 0;
}

static void fault_reload_file_locked(void)
{
	struct stat st;
	struct timespec now;
	uint64_t now_ns;
	FILE *f;
	char line[512];
	int j = 0;

	if (!fault_file)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (now_ns - fault_file_checked_ns < 5000000ull) /* look at most every 5 ms */
		return;
	fault_file_checked_ns = now_ns;
	if (stat(fault_file, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (st.st_mtim.tv_sec == fault_file_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == fault_file_mtime.tv_nsec)
		return;
	fault_file_mtime = st.st_mtim;
	for (int i = 0; i < fault_nrules; i++)
		if (!fault_rules[i].from_file)
			fault_rules[j++] = fault_rules[i];
	fault_nrules = j;
	f = fopen(fault_file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char pat[256];
		struct fault_spec s;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (fault_parse_line(line, pat, sizeof(pat), &s) == 0)
			fault_set_locked(pat, &s, true);
	}
	fclose(f);
}

static void fault_arm_once(void)
{
	int armed = atomic_load_explicit(&fault_armed, memory_order_relaxed);

	if (armed >= 0)
		return;
	pthread_mutex_lock(&fault_lock);
	if (atomic_load(&fault_armed) < 0) {
		const char *f = getenv("SECLUSTER_FAULT_FILE");
		fault_file = (f && *f) ? strdup(f) : NULL;
		atomic_store(&fault_armed, fault_file || fault_nrules ? 1 : 0);
	}
	pthread_mutex_unlock(&fault_lock);
}

int fault_set(const char *pattern, const struct fault_spec *spec)
{
	int r;

	fault_arm_once();
	pthread_mutex_lock(&fault_lock);
	r = fault_set_locked(pattern, spec, false);
	atomic_store(&fault_armed, 1);
	pthread_mutex_unlock(&fault_lock);
	return r;
}

void fault_clear_all(void)
{
	pthread_mutex_lock(&fault_lock);
	fault_nrules = 0;
	pthread_mutex_unlock(&fault_lock);
}

static int fault_find_locked(const char *point)
{
	fault_reload_file_locked();
	for (int i = 0; i < fault_nrules; i++)
		if (fnmatch(fault_rules[i].pattern, point, 0) == 0)
			return i;
	return -1;
}

bool fault_check(const char *point, struct fault_spec *ret)
{
	struct fault_spec s;
	int i;

	fault_arm_once();
	if (atomic_load_explicit(&fault_armed, memory_order_relaxed) == 0)
		return false;
	pthread_mutex_lock(&fault_lock);
	i = fault_find_locked(point);
	if (i < 0) {
		pthread_mutex_unlock(&fault_lock);
		return false;
	}
	s = fault_rules[i].spec;
	if (s.count && --fault_rules[i].spec.count == 0)
		fault_rules[i].spec.action = FAULT_NONE;
	pthread_mutex_unlock(&fault_lock);
	if (s.action == FAULT_NONE)
		return false;
	if (s.action == FAULT_KILL)
		raise(SIGKILL);
	if (ret)
		*ret = s;
	return true;
}

bool fault_active(const char *point)
{
	int i;

	fault_arm_once();
	if (atomic_load_explicit(&fault_armed, memory_order_relaxed) == 0)
		return false;
	pthread_mutex_lock(&fault_lock);
	i = fault_find_locked(point);
	if (i >= 0 && fault_rules[i].spec.action == FAULT_NONE)
		i = -1;
	pthread_mutex_unlock(&fault_lock);
	return i >= 0;
}
