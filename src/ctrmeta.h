/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CTRMETA_H
#define NR_CTRMETA_H

#include "container.h"

/*
 * What the runtime knows about a container beyond its id.  Strings are
 * copied byte for byte from the runtime's files (cut at the first NUL and
 * at the field size, never inside a UTF-8 sequence): they may hold any
 * other byte, so sanitise them before use.
 */
struct container_meta {
	char name[256];	 /* "" if unknown */
	char image[512]; /* "" if unknown */
	char pod[256];	 /* Kubernetes pod name, "" if not a pod or unknown */
	char pod_namespace[256];
};

/*
 * Fill @m from the runtime's files under @root ("/" normally; tests pass a
 * fake tree).  Only reads small local files (no sockets, no daemons) and
 * never leaves @root.  Returns 0 if anything was found, -ENOENT if nothing,
 * -EINVAL if @ref is not a container or its id is malformed; @m is always
 * filled, with "" for what is unknown.
 */
int container_meta_read(const char *root, const struct container_ref *ref,
			struct container_meta *m);

#endif
