// SPDX-License-Identifier: GPL-2.0
/* safeopen: renames below the output directory never replace a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../../src/safeopen.h"
#include "tap.h"
#include "testutil.h"

static bool exists(int dirfd, const char *rel)
{
	struct stat st;

	return !fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW);
}

int main(void)
{
	char dir[] = "/tmp/test_safeopen.XXXXXX";
	int dfd, fds;

	if (!mkdtemp(dir))
		return 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fds = tu_count_fds();
	mkdirat(dfd, "sub", 0700);
	mkdirat(dfd, "other", 0700);
	close(openat(dfd, "sub/a.part", O_CREAT | O_WRONLY, 0600));
	close(openat(dfd, "sub/taken", O_CREAT | O_WRONLY, 0600));
	close(openat(dfd, "top.part", O_CREAT | O_WRONLY, 0600));

	ok(rename_noreplace_beneath(dfd, "sub/a.part", "sub/a") == 0 &&
		   exists(dfd, "sub/a") && !exists(dfd, "sub/a.part"),
	   "a rename within a subdirectory");
	ok(rename_noreplace_beneath(dfd, "sub/a", "sub/taken") == -EEXIST &&
		   exists(dfd, "sub/a"),
	   "a taken name is refused, the file stays");
	ok(rename_noreplace_beneath(dfd, "sub/a", "other/a") == -EXDEV &&
		   exists(dfd, "sub/a") && !exists(dfd, "other/a"),
	   "another directory is refused");
	ok(rename_noreplace_beneath(dfd, "top.part", "top") == 0 &&
		   exists(dfd, "top"),
	   "a rename at the top");
	symlinkat(dir, dfd, "link");
	ok(rename_noreplace_beneath(dfd, "link/top", "link/top2") < 0 &&
		   exists(dfd, "top"),
	   "a symlink in the path is not followed");
	ok(tu_count_fds() == fds, "no descriptor is left open");

	close(dfd);
	tu_rm_tree(dir);
	return tap_done();
}
