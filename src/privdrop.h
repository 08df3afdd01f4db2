/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PRIVDROP_H
#define NR_PRIVDROP_H

#include <sys/types.h>

/* -Z: who to become.  Returns 0 or -ENOENT (no such user), with an error
 * logged. */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid);
/*
 * Become @uid/@gid with the user's supplementary groups; as none of the
 * ids stays 0, the kernel clears every capability.  Checked: returns
 * -EPERM if root could be regained.
 */
int privdrop_apply(const char *user, uid_t uid, gid_t gid);

#endif
