// SPDX-License-Identifier: GPL-2.0
/*
 * Container names and images, from the files each runtime keeps about its
 * containers.  The runtimes' APIs would know more, but a busy daemon can
 * take seconds to answer and we may be asked from the capture path; the
 * files are local, small and replaced atomically.  Their contents are
 * still not ours: image authors choose labels, users choose names, and a
 * runtime may be buggy, so every value is type-checked, every read is
 * bounded in size and count, and no path, however built, leaves the root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include <jansson.h>

#include "ctrmeta.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Real files are a few KiB; podman's container list grows with the host. */
#define MAX_FILE (4u << 20)
/* For all reads of one lookup, so that the scans below stay cheap too. */
#define MAX_TOTAL (16u << 20)
#define MAX_RUNC_SCAN 256
#define MAX_NAMESPACES 64
#define REL_MAX 4096

struct ctx {
	int rootfd;
	bool root_is_host;
	size_t budget;
	const char *id;
	struct container_meta *m;
};

/*
 * OCI annotation keys, best first.  "io.kubernetes.cri.*" are containerd's
 * CRI plugin's, "io.kubernetes.container.name" and "io.kubernetes.cri-o.*"
 * CRI-O's, "nerdctl/name" nerdctl's; "org.opencontainers.container.name"
 * and "org.opencontainers.image.ref.name" are what a hand-made bundle is
 * most likely to carry.
 */
static const char *const name_keys[] = {
	"io.kubernetes.cri.container-name",
	"io.kubernetes.container.name",
	"nerdctl/name",
	"org.opencontainers.container.name",
};

static const char *const image_keys[] = {
	"io.kubernetes.cri.image-name",
	"io.kubernetes.cri-o.ImageName",
	"org.opencontainers.image.ref.name",
};

static const char *const pod_keys[] = {
	"io.kubernetes.cri.sandbox-name",
	"io.kubernetes.pod.name",
};

static const char *const pod_ns_keys[] = {
	"io.kubernetes.cri.sandbox-namespace",
	"io.kubernetes.pod.namespace",
};

/* containers/storage: CRI-O and podman, root then runroot. */
static const char *const storage_dirs[] = {
	"var/lib/containers/storage",
	"run/containers/storage",
};

static const char *const storage_drivers[] = {
	"overlay",
	"vfs",
	"btrfs",
	"zfs",
};

static const char containerd_tasks[] =
	"run/containerd/io.containerd.runtime.v2.task";
static const char runc_root[] = "run/runc";

static bool is_hex_id(const char *s, bool lower_only)
{
	size_t i;

	for (i = 0; i < NR_CTR_ID_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (!lower_only && c >= 'A' && c <= 'F')))
			return false;
	}
	return s[i] == '\0';
}

/*
 * Keep the first value found, as sources are tried best first.  A cut
 * backs off to a character boundary: jansson hands out valid UTF-8, and
 * half a character would make the caller's sanitiser drop or mangle more.
 */
static void set_str(char *dst, size_t size, const char *src)
{
	size_t n, back;

	if (dst[0] || !src)
		return;
	n = strnlen(src, size);
	if (n == size) {
		n = size - 1;
		for (back = 0; back < 3 && n > 0 &&
			       ((unsigned char)src[n] & 0xc0) == 0x80;
		     back++)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define SET(field, src) set_str(field, sizeof(field), src)

static const char *jstr(const json_t *obj, const char *key)
{
	/* jansson returns NULL for a missing key and for a wrong type. */
	return json_string_value(json_object_get(obj, key));
}

static const char *first_of(const json_t *obj, const char *const *keys,
			    size_t nkeys)
{
	const char *s;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		s = jstr(obj, keys[i]);
		if (s && *s)
			return s;
	}
	return NULL;
}

static void apply_annotations(struct container_meta *m, const json_t *ann)
{
	SET(m->name, first_of(ann, name_keys, ARRAY_SIZE(name_keys)));
	SET(m->image, first_of(ann, image_keys, ARRAY_SIZE(image_keys)));
	SET(m->pod, first_of(ann, pod_keys, ARRAY_SIZE(pod_keys)));
	SET(m->pod_namespace,
	    first_of(ann, pod_ns_keys, ARRAY_SIZE(pod_ns_keys)));
}

static bool found_any(const struct container_meta *m)
{
	return m->name[0] || m->image[0] || m->pod[0] || m->pod_namespace[0];
}

/*
 * RESOLVE_IN_ROOT keeps "..", absolute symlinks and absolute paths read
 * from the files themselves (runc's bundle path) inside the root.
 */
static int open_in_root(struct ctx *c, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned int)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1, tries;

	while (*path == '/')
		path++;
	if (!*path)
		return -ENOENT;
	/* EAGAIN: a rename or mount raced the lookup. */
	for (tries = 0; tries < 3; tries++) {
		fd = (int)syscall(SYS_openat2, c->rootfd, path, &how,
				  sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd >= 0)
		return fd;
	/*
	 * Older seccomp profiles (netrec may itself run in a container)
	 * refuse openat2.  At the host's "/" there is nothing to escape to,
	 * so plain openat is as good; under any other root we give up.
	 */
	if ((errno == ENOSYS || errno == EPERM) && c->root_is_host) {
		fd = openat(c->rootfd, path, flags | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	return -errno;
}

static json_t *read_json(struct ctx *c, const char *path)
{
	json_t *j = NULL;
	struct stat st;
	size_t size, len = 0;
	ssize_t n;
	char *buf;
	int fd;

	/*
	 * O_NOFOLLOW: a link planted as the file itself is refused, not
	 * followed.  O_NONBLOCK: opening a planted FIFO must not wait for a
	 * writer; S_ISREG below keeps us from reading it.
	 */
	fd = open_in_root(c, path,
			  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > MAX_FILE || (size_t)st.st_size > c->budget)
		goto out;
	size = (size_t)st.st_size;
	c->budget -= size;
	buf = malloc(size);
	if (!buf)
		goto out;
	/* A file rewritten under us just ends early and fails to parse. */
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	/* Otherwise one "\u0000" in any value loses the whole file. */
	j = json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
	free(buf);
out:
	close(fd);
	return j;
}

static DIR *open_dir_in_root(struct ctx *c, const char *path)
{
	DIR *dir;
	int fd;

	fd = open_in_root(c, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir)
		close(fd);
	return dir;
}

static bool is_dot_or_dotdot(const char *s)
{
	return s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]));
}

static void docker_read(struct ctx *c)
{
	struct container_meta *m = c->m;
	const json_t *cfg, *labels;
	char path[REL_MAX];
	const char *name;
	json_t *j;

	snprintf(path, sizeof(path),
		 "var/lib/docker/containers/%s/config.v2.json", c->id);
	j = read_json(c, path);
	if (!j)
		return;
	cfg = json_object_get(j, "Config");
	labels = json_object_get(cfg, "Labels");
	name = jstr(j, "Name");
	if (name && *name == '/')
		name++;
	/*
	 * Image labels are merged into Config.Labels, so any image could
	 * claim to be a Kubernetes pod.  Only believe the labels of a
	 * container kubelet made (through cri-dockerd): its name says so.
	 */
	if (name && !strncmp(name, "k8s_", 4)) {
		SET(m->name, jstr(labels, "io.kubernetes.container.name"));
		SET(m->pod, jstr(labels, "io.kubernetes.pod.name"));
		SET(m->pod_namespace,
		    jstr(labels, "io.kubernetes.pod.namespace"));
	}
	SET(m->name, name);
	SET(m->image, jstr(cfg, "Image"));
	json_decref(j);
}

/* The id is unique across containerd namespaces, so any one will do. */
static void containerd_read(struct ctx *c)
{
	char path[REL_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;
	json_t *j;
	int len;

	dir = open_dir_in_root(c, containerd_tasks);
	if (!dir)
		return;
	while (n < MAX_NAMESPACES && (de = readdir(dir))) {
		if (is_dot_or_dotdot(de->d_name))
			continue;
		n++;
		len = snprintf(path, sizeof(path), "%s/%s/%s/config.json",
			       containerd_tasks, de->d_name, c->id);
		if (len < 0 || (size_t)len >= sizeof(path))
			continue;
		j = read_json(c, path);
		if (!j)
			continue;
		apply_annotations(c->m, json_object_get(j, "annotations"));
		json_decref(j);
		break;
	}
	closedir(dir);
}

/* The OCI bundle CRI-O and podman keep in the container's userdata. */
static void storage_bundle_read(struct ctx *c)
{
	char path[REL_MAX];
	size_t i, k;
	json_t *j;

	for (i = 0; i < ARRAY_SIZE(storage_dirs); i++) {
		for (k = 0; k < ARRAY_SIZE(storage_drivers); k++) {
			snprintf(path, sizeof(path),
				 "%s/%s-containers/%s/userdata/config.json",
				 storage_dirs[i], storage_drivers[k], c->id);
			j = read_json(c, path);
			if (!j)
				continue;
			apply_annotations(c->m,
					  json_object_get(j, "annotations"));
			json_decref(j);
			return;
		}
	}
}

static bool storage_entry(struct ctx *c, const json_t *list)
{
	struct container_meta *m = c->m;
	const char *id, *meta_str;
	json_t *e, *meta = NULL;
	size_t i;

	json_array_foreach(list, i, e)
	{
		id = jstr(e, "id");
		if (!id || strcmp(id, c->id))
			continue;
		SET(m->name, json_string_value(json_array_get(
				     json_object_get(e, "names"), 0)));
		/* podman keeps what the user asked for in a JSON string. */
		meta_str = jstr(e, "metadata");
		if (meta_str)
			meta = json_loadb(meta_str, strlen(meta_str),
					  JSON_ALLOW_NUL, NULL);
		SET(m->name, jstr(meta, "name"));
		SET(m->image, jstr(meta, "image-name"));
		json_decref(meta);
		/* Only the image id, but better than nothing. */
		SET(m->image, jstr(e, "image"));
		return true;
	}
	return false;
}

/* Containers made with --rm are in volatile-containers.json. */
static void storage_list_read(struct ctx *c)
{
	static const char *const files[] = {
		"containers.json",
		"volatile-containers.json",
	};
	char path[REL_MAX];
	size_t i, k, f;
	bool done;
	json_t *j;

	for (i = 0; i < ARRAY_SIZE(storage_dirs); i++) {
		for (k = 0; k < ARRAY_SIZE(storage_drivers); k++) {
			for (f = 0; f < ARRAY_SIZE(files); f++) {
				snprintf(path, sizeof(path),
					 "%s/%s-containers/%s", storage_dirs[i],
					 storage_drivers[k], files[f]);
				j = read_json(c, path);
				if (!j)
					continue;
				done = storage_entry(c, j);
				json_decref(j);
				if (done)
					return;
			}
		}
	}
}

static bool mentions(const char *s, const char *id)
{
	return s && strstr(s, id);
}

/* Whether runc's state puts the container in a cgroup named after @id. */
static bool runc_state_has_id(const json_t *st, const char *id)
{
	const json_t *cfg, *cgroups, *v;
	json_t *paths; /* jansson's object iterators want it non-const */
	const char *key;

	paths = json_object_get(st, "cgroup_paths");
	json_object_foreach(paths, key, v)
	{
		if (mentions(json_string_value(v), id))
			return true;
	}
	cfg = json_object_get(st, "config");
	cgroups = json_object_get(cfg, "cgroups");
	return mentions(jstr(cgroups, "path"), id) ||
	       mentions(jstr(cgroups, "name"), id) ||
	       mentions(jstr(cgroups, "parent"), id) ||
	       mentions(jstr(cfg, "cgroupsPath"), id);
}

static void runc_state_apply(struct ctx *c, const json_t *st,
			     const char *runc_id)
{
	const json_t *labels, *v;
	char path[REL_MAX];
	const char *s;
	size_t i;
	json_t *j;
	int len;

	labels = json_object_get(json_object_get(st, "config"), "labels");
	json_array_foreach(labels, i, v)
	{
		s = json_string_value(v);
		if (!s || strncmp(s, "bundle=", 7) || !s[7])
			continue;
		/* Absolute on the host: open_in_root() keeps it in root. */
		len = snprintf(path, sizeof(path), "%s/config.json", s + 7);
		if (len < 0 || (size_t)len >= sizeof(path))
			break;
		j = read_json(c, path);
		if (j)
			apply_annotations(c->m,
					  json_object_get(j, "annotations"));
		json_decref(j);
		break;
	}
	/* A generated id says nothing a reader would not see already. */
	if (!is_hex_id(runc_id, false))
		SET(c->m->name, runc_id);
}

/*
 * runc used directly names the container whatever its user likes, and
 * the cgroup (whose id we have) need not match, so when the direct look-up
 * fails we look for a state naming the id in its cgroup.
 */
static void runc_read(struct ctx *c)
{
	char path[REL_MAX];
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;
	json_t *j;
	int len;

	snprintf(path, sizeof(path), "%s/%s/state.json", runc_root, c->id);
	j = read_json(c, path);
	if (j) {
		runc_state_apply(c, j, c->id);
		json_decref(j);
		return;
	}
	dir = open_dir_in_root(c, runc_root);
	if (!dir)
		return;
	while (n < MAX_RUNC_SCAN && (de = readdir(dir))) {
		if (is_dot_or_dotdot(de->d_name) || !strcmp(de->d_name, c->id))
			continue;
		n++;
		len = snprintf(path, sizeof(path), "%s/%s/state.json",
			       runc_root, de->d_name);
		if (len < 0 || (size_t)len >= sizeof(path))
			continue;
		j = read_json(c, path);
		if (!j)
			continue;
		if (runc_state_has_id(j, c->id)) {
			runc_state_apply(c, j, de->d_name);
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	closedir(dir);
}

static bool same_file_as_slash(int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat("/", &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int container_meta_read(const char *root, const struct container_ref *ref,
			struct container_meta *m)
{
	struct ctx c;

	if (!m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (!root || !ref)
		return -EINVAL;

	if (ref->runtime == CTR_LXC) {
		/* LXC's cgroup already carries the name its user chose. */
		memcpy(m->name, ref->id, strnlen(ref->id, sizeof(ref->id)));
		return m->name[0] ? 0 : -ENOENT;
	}
	/* The id goes into paths: nothing but what the runtimes make. */
	if (!is_hex_id(ref->id, true))
		return -EINVAL;
	switch (ref->runtime) {
	case CTR_DOCKER:
	case CTR_CONTAINERD:
	case CTR_CRIO:
	case CTR_PODMAN:
		break;
	default:
		return -EINVAL;
	}

	c.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return -ENOENT;
	c.root_is_host = same_file_as_slash(c.rootfd);
	c.budget = MAX_TOTAL;
	c.id = ref->id;
	c.m = m;

	switch (ref->runtime) {
	case CTR_DOCKER:
		docker_read(&c);
		break;
	case CTR_CONTAINERD:
		containerd_read(&c);
		break;
	case CTR_CRIO:
		storage_bundle_read(&c);
		storage_list_read(&c);
		break;
	case CTR_PODMAN:
		storage_list_read(&c);
		storage_bundle_read(&c);
		break;
	default:
		break;
	}
	/* Any runtime may sit on runc; its state is the last resort. */
	if (!found_any(m))
		runc_read(&c);

	close(c.rootfd);
	return found_any(m) ? 0 : -ENOENT;
}
