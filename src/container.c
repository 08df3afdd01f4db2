// SPDX-License-Identifier: GPL-2.0
/*
 * Container runtimes do not label their cgroups; each one has its own
 * naming scheme, which differs again between the systemd and cgroupfs
 * cgroup drivers.  We match path components against the known shapes and
 * keep the innermost match, so nested setups (kind, docker-in-docker)
 * report the container that actually runs the process.
 */
#include <stddef.h>
#include <string.h>

#include "container.h"

#define ID_HEX_LEN 64
/* Kubelet gives static (mirror) pods an md5 hex uid, not a UUID. */
#define STATIC_POD_UID_LEN 32

struct comp {
	const char *s;
	size_t len;
};

/* Prefixes of "<prefix><id>[.scope]" leaves, systemd and cgroupfs alike. */
static const struct {
	const char *prefix;
	enum container_runtime rt;
} leaf_prefixes[] = {
	{ "docker-", CTR_DOCKER },
	{ "cri-containerd-", CTR_CONTAINERD },
	{ "crio-", CTR_CRIO },
	{ "libpod-", CTR_PODMAN },
};

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

static bool comp_eq(struct comp c, const char *str)
{
	size_t n = strlen(str);

	return c.len == n && !memcmp(c.s, str, n);
}

static bool comp_starts(struct comp c, const char *prefix)
{
	size_t n = strlen(prefix);

	return c.len >= n && !memcmp(c.s, prefix, n);
}

static bool comp_ends(struct comp c, const char *suffix)
{
	size_t n = strlen(suffix);

	return c.len >= n && !memcmp(c.s + c.len - n, suffix, n);
}

static bool comp_contains(struct comp c, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= c.len; i++)
		if (!memcmp(c.s + i, needle, n))
			return true;
	return false;
}

static bool is_id(const char *s, size_t n)
{
	return n == ID_HEX_LEN && all_lower_hex(s, n);
}

/*
 * The systemd driver cannot use '-' inside a slice name (it means
 * nesting), so it writes the uid with @sep '_'; we always report '-'.
 */
static bool parse_pod_uid(const char *s, size_t n, char sep, char *out)
{
	size_t i;

	if (n == STATIC_POD_UID_LEN && all_lower_hex(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != NR_POD_UID_LEN)
		return false;
	for (i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_lower_hex(s[i]))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

/* systemd driver: "[kubelet-]kubepods[-qos]-pod<uid>.slice". */
static bool pod_from_slice(struct comp c, char *uid)
{
	static const char sfx[] = ".slice";
	size_t end, i;

	if (!comp_ends(c, sfx) || !comp_contains(c, "kubepods"))
		return false;
	end = c.len - (sizeof(sfx) - 1);
	for (i = end; i >= 4; i--) {
		if (!memcmp(c.s + i - 4, "-pod", 4))
			return parse_pod_uid(c.s + i, end - i, '_', uid);
	}
	return false;
}

/* cgroupfs driver: ".../kubepods[/burstable|/besteffort]/pod<uid>". */
static bool pod_from_dir(struct comp c, struct comp parent, struct comp grand,
			 char *uid)
{
	bool under_qos;

	if (!comp_starts(c, "pod"))
		return false;
	under_qos = (comp_eq(parent, "burstable") ||
		     comp_eq(parent, "besteffort")) &&
		    comp_eq(grand, "kubepods");
	if (!under_qos && !comp_eq(parent, "kubepods"))
		return false;
	return parse_pod_uid(c.s + 3, c.len - 3, '-', uid);
}

static void set_id(struct container_ref *ref, const char *s, size_t n)
{
	if (n > NR_CTR_ID_LEN)
		n = NR_CTR_ID_LEN;
	memcpy(ref->id, s, n);
	ref->id[n] = '\0';
}

/* "<prefix><id>" or "<prefix><id>.scope"; the conmon scopes fail is_id(). */
static enum container_runtime match_leaf(struct comp c,
					 struct container_ref *ref)
{
	size_t i, plen, rest;

	for (i = 0; i < sizeof(leaf_prefixes) / sizeof(leaf_prefixes[0]); i++) {
		if (!comp_starts(c, leaf_prefixes[i].prefix))
			continue;
		plen = strlen(leaf_prefixes[i].prefix);
		rest = c.len - plen;
		if (rest == ID_HEX_LEN + strlen(".scope") &&
		    comp_ends(c, ".scope"))
			rest = ID_HEX_LEN;
		if (!is_id(c.s + plen, rest))
			return CTR_NONE;
		set_id(ref, c.s + plen, rest);
		return leaf_prefixes[i].rt;
	}
	return CTR_NONE;
}

static enum container_runtime classify(struct comp c, struct comp parent,
				       bool parent_is_pod,
				       struct container_ref *ref)
{
	static const char lxc[] = "lxc.payload.";

	if (comp_starts(c, lxc)) {
		if (c.len == sizeof(lxc) - 1)
			return CTR_NONE;
		set_id(ref, c.s + sizeof(lxc) - 1, c.len - (sizeof(lxc) - 1));
		return CTR_LXC;
	}
	if (!is_id(c.s, c.len))
		return match_leaf(c, ref);
	/* A bare id means something only where a runtime puts one. */
	if (comp_eq(parent, "docker")) {
		set_id(ref, c.s, c.len);
		return CTR_DOCKER;
	}
	if (parent_is_pod) {
		set_id(ref, c.s, c.len);
		return CTR_CONTAINERD;
	}
	return CTR_NONE;
}

bool container_from_cgroup(const char *path, struct container_ref *ref)
{
	struct comp cur, parent = { "", 0 }, grand = { "", 0 };
	char pod[NR_POD_UID_LEN + 1], parent_pod[NR_POD_UID_LEN + 1] = "";
	bool parent_is_pod = false, is_pod;
	struct container_ref cand;
	enum container_runtime rt;
	const char *p = path;

	memset(ref, 0, sizeof(*ref));
	if (!p)
		return false;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		cur.s = p;
		cur.len = strcspn(p, "/");
		p += cur.len;

		rt = classify(cur, parent, parent_is_pod, &cand);
		if (rt != CTR_NONE) {
			cand.runtime = rt;
			/* Only a container directly in a pod belongs to it. */
			if (parent_is_pod)
				memcpy(cand.pod_uid, parent_pod, sizeof(pod));
			else
				cand.pod_uid[0] = '\0';
			*ref = cand;
		}

		is_pod = pod_from_slice(cur, pod) ||
			 pod_from_dir(cur, parent, grand, pod);
		if (is_pod)
			memcpy(parent_pod, pod, sizeof(pod));
		parent_is_pod = is_pod;
		grand = parent;
		parent = cur;
	}
	return ref->runtime != CTR_NONE;
}

const char *container_runtime_name(enum container_runtime rt)
{
	switch (rt) {
	case CTR_NONE:
		return "host";
	case CTR_DOCKER:
		return "docker";
	case CTR_CONTAINERD:
		return "containerd";
	case CTR_CRIO:
		return "cri-o";
	case CTR_PODMAN:
		return "podman";
	case CTR_LXC:
		return "lxc";
	}
	return "unknown";
}
