// SPDX-License-Identifier: GPL-2.0
/* The cgroup v2 hierarchy: where its root is, and what a cgroup id names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "cgroup.h"
#include "log.h"

/* The kernfs file handle type: its 8 bytes are the cgroup id. */
#define FILEID_KERNFS 0xfe

static int find_mounted(char *path, size_t len)
{
	struct mntent *m;
	FILE *f;
	int err = -ENOENT;

	f = setmntent("/proc/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		if (strlen(m->mnt_dir) >= len) {
			err = -ENAMETOOLONG;
			continue;
		}
		strcpy(path, m->mnt_dir);
		err = 0;
		break;
	}
	endmntent(f);
	return err;
}

static int mount_private(char *path, size_t len)
{
	char tmpl[] = "/run/netrec-cgroup2.XXXXXX";

	if (!mkdtemp(tmpl))
		return -errno;
	if (mount("cgroup2", tmpl, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL)) {
		int err = -errno;

		rmdir(tmpl);
		return err;
	}
	snprintf(path, len, "%s", tmpl);
	return 0;
}

int cgroup_root_open(struct cgroup_root *root)
{
	int err;

	root->mounted = false;
	root->fd = -1;
	err = find_mounted(root->path, sizeof(root->path));
	if (err == -ENOENT) {
		err = mount_private(root->path, sizeof(root->path));
		if (err) {
			pr_err("no cgroup v2 hierarchy is mounted and mounting one failed: %s",
			       strerror(-err));
			return err;
		}
		root->mounted = true;
		pr_info("no cgroup v2 hierarchy was mounted; mounted one at %s",
			root->path);
	} else if (err) {
		pr_err("cannot read /proc/mounts: %s", strerror(-err));
		return err;
	}
	root->fd = open(root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root->fd < 0) {
		err = -errno;
		pr_err("cannot open cgroup v2 root %s: %s", root->path,
		       strerror(errno));
		cgroup_root_close(root);
		return err;
	}
	return 0;
}

void cgroup_root_close(struct cgroup_root *root)
{
	if (root->fd >= 0)
		close(root->fd);
	root->fd = -1;
	if (root->mounted) {
		umount2(root->path, MNT_DETACH);
		rmdir(root->path);
		root->mounted = false;
	}
}

static int relative_to_root(const struct cgroup_root *root, const char *abs,
			    char *out, size_t len)
{
	size_t n = strlen(root->path);

	if (strncmp(abs, root->path, n) || (abs[n] && abs[n] != '/'))
		return -EXDEV;
	if (snprintf(out, len, "%s", abs[n] ? abs + n : "/") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int path_by_handle(const struct cgroup_root *root, uint64_t id,
			  char *out, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t),
			.handle_type = FILEID_KERNFS },
		.id = id };
	char link[64], abs[PATH_MAX];
	ssize_t n;
	int fd;

	fd = open_by_handle_at(root->fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, abs, sizeof(abs) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	abs[n] = '\0';
	return relative_to_root(root, abs, out, len);
}

/* Fallback: walk the hierarchy looking for the directory with inode @id. */
static int path_by_walk(int dfd, uint64_t id, char *out, size_t len,
			size_t used, int depth)
{
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	if (depth > 32)
		return -ELOOP;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while (err == -ENOENT && (de = readdir(d))) {
		struct stat st;
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (snprintf(out + used, len - used, "/%s", de->d_name) >=
		    (int)(len - used))
			continue;
		if (st.st_ino == id) {
			err = 0;
			break;
		}
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			err = path_by_walk(sub, id, out, len,
					   used + strlen(out + used),
					   depth + 1);
	}
	closedir(d);
	if (err)
		out[used] = '\0';
	return err;
}

int cgroup_path_of(const struct cgroup_root *root, uint64_t id, char *out,
		   size_t len)
{
	int err, fd;

	if (len < 2)
		return -ENAMETOOLONG;
	err = path_by_handle(root, id, out, len);
	if (err != -EOPNOTSUPP && err != -EPERM && err != -EXDEV &&
	    err != -EINVAL)
		return err;
	fd = dup(root->fd);
	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_SET);
	out[0] = '\0';
	err = path_by_walk(fd, id, out, len, 0, 0);
	if (err == -ENOENT) {
		struct stat st;

		if (!fstat(root->fd, &st) && st.st_ino == id) {
			snprintf(out, len, "/");
			return 0;
		}
	}
	return err;
}

struct bpf_link *cgroup_root_attach(const struct cgroup_root *root,
				    struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach_cgroup(prog, root->fd);

	if (!l)
		pr_err("cannot attach %s to cgroup %s: %s",
		       bpf_program__name(prog), root->path, strerror(errno));
	return l;
}
