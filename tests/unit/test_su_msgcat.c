/* test_su_msgcat.c — the message catalogue: every message number in the code of src/su
 * and src/secd is in the catalogue, the catalogue is sorted and unique, templates format,
 * and docs/messages.md is exactly what the catalogue generates.
 * `test_su_msgcat --write FILE` writes the generated doc (how docs/messages.md is made). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "su/msgcat.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

static const char *src_dir(void)
{
	const char *s = getenv("SECLUSTER_SRC");
	if (!s)
		fail_msg("SECLUSTER_SRC is not set (meson test sets it)");
	return s;
}

/* Every "VMSnnnn" / "CMDnnnn" in the C files of dir must be in the catalogue. */
static unsigned scan_dir(const char *dir, const char *prefix)
{
	char path[1024];
	unsigned found = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".c") ||
		    strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		if (strcmp(e->d_name, "msgcat.c") == 0 || strcmp(e->d_name, "msgdoc.c") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *s = slurp(path);
		assert_non_null(s);
		for (char *p = s; (p = strpbrk(p, "VC")); p++) {
			if (strncmp(p, "VMS", 3) && strncmp(p, "CMD", 3))
				continue;
			if (!(isdigit((unsigned char)p[3]) && isdigit((unsigned char)p[4]) &&
			      isdigit((unsigned char)p[5]) && isdigit((unsigned char)p[6])) ||
			    isalnum((unsigned char)p[7]))
				continue;
			char id[8];
			memcpy(id, p, 7);
			id[7] = '\0';
			if (!su_msg_find(id))
				fail_msg("%s uses %s, which is not in src/su/msgcat.c", path, id);
			found++;
		}
		free(s);
	}
	closedir(d);
	return found;
}

static void test_code_ids_in_catalogue(void **state)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/src/su", src_dir());
	assert_true(scan_dir(dir, "") > 40); /* the scanner sees the code's numbers */
	snprintf(dir, sizeof(dir), "%s/src/secd", src_dir());
	scan_dir(dir, "su");
}

static void test_catalogue_shape(void **state)
{
	size_t n = 0;
	const struct su_msgdef *d = su_msg_all(&n);

	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(d[i].id), 7);
		if (i)
			assert_true(strcmp(d[i - 1].id, d[i].id) < 0);
		assert_true(d[i].text[0] && d[i].meaning[0] && d[i].response[0]);
		assert_ptr_equal(su_msg_find(d[i].id), &d[i]);
	}
	assert_null(su_msg_find("VMS0000"));
	assert_non_null(su_msg_find("vms4013"));
	char out[256];
	su_msg_format(out, sizeof(out), "VMS4013", "VM1");
	assert_string_equal(out, "% VMS4013 VM NAME 'VM1' NOT AVAILABLE");
	su_msg_format(out, sizeof(out), "VMS0000");
	assert_string_equal(out, "% VMS0000 ?");
	su_msg_inserts("A %s B %u C %llu D %%", out, sizeof(out));
	assert_string_equal(out, "A (&00) B (&01) C (&02) D %");
	/* the texts VM2000 documents are used as documented */
	assert_false(su_msg_find("VMS3050")->ours);
	assert_string_equal(su_msg_find("VMS3050")->text, "VIRTUAL MACHINE %s CREATED");
	assert_string_equal(su_msg_find("VMS4009")->text,
			    "DEVICE '%s' REMOVED FROM VIRTUAL MACHINE %s");
}

static void test_doc_matches(void **state)
{
	char path[1024];
	char *want = su_msg_doc_markdown();

	assert_non_null(want);
	snprintf(path, sizeof(path), "%s/docs/messages.md", src_dir());
	char *have = slurp(path);
	if (!have)
		fail_msg("%s is missing: run test_su_msgcat --write %s", path, path);
	if (strcmp(have, want) != 0)
		fail_msg("%s differs from src/su/msgcat.c: run build/tests/unit/test_su_msgcat "
			 "--write docs/messages.md",
			 path);
	size_t n = 0;
	const struct su_msgdef *d = su_msg_all(&n);
	for (size_t i = 0; i < n; i++) {
		char h[32];
		snprintf(h, sizeof(h), "### %s", d[i].id);
		assert_non_null(strstr(have, h));
	}
	free(have);
	free(want);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		char *doc = su_msg_doc_markdown();
		FILE *f = fopen(argv[2], "w");
		if (!doc || !f || fputs(doc, f) < 0 || fclose(f) != 0) {
			perror(argv[2]);
			return 1;
		}
		free(doc);
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code_ids_in_catalogue),
	    cmocka_unit_test(test_catalogue_shape),
	    cmocka_unit_test(test_doc_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
