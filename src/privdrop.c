// SPDX-License-Identifier: GPL-2.0
/* -Z: give up root once the BPF programs are attached and files are open. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "log.h"
#include "privdrop.h"

int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		pr_err("-Z %s: no such user", user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int privdrop_apply(const char *user, uid_t uid, gid_t gid)
{
	if (initgroups(user, gid) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		int err = -errno;

		pr_err("-Z %s: cannot drop privileges: %s", user,
		       strerror(errno));
		return err;
	}
	/* A process that could get root back has not dropped it. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		pr_err("-Z %s: root could be regained; stopping", user);
		return -EPERM;
	}
	prctl(PR_SET_DUMPABLE, 0);
	pr_info("running as %s (uid %u) from now on", user, (unsigned int)uid);
	return 0;
}
