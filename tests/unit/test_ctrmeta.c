// SPDX-License-Identifier: GPL-2.0
/*
 * container_meta_read() against fake roots: the runtimes' sample files in
 * testdata/containers/, and trees made here at run time for what a source
 * tree cannot carry safely (symlinks, FIFOs, multi-MiB files).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "container.h"
#include "ctrmeta.h"
#include "tap.h"
#include "testutil.h"

/* Ids of the sample containers (sha256 of a tag, so they look real). */
#define D_WEB "a34b13511a2134779af6e297fc679dc548294156d2e3cf247e5c1e9febbbe739"
#define D_K8S "632d32e1f7b6fb82088f2627144a259481ad119b035fded481ce5b7375ea38ff"
#define D_SPOOF                                                                \
	"6d5c1745b3ebafb4835486efc5f5f222623c1ea37c9387ff5ecbee39b5642519"
#define D_HOSTILE                                                              \
	"1e447bc10f591f3b0fd4a4e1f25bfcfa9d2c6ef62c1a425bb974956a305106f7"
#define D_NUL "5ee935323d7526857fd962d115ef5c8f9bf21cbbc54996cf5a43c04af2996ac8"
#define D_SURROGATE                                                            \
	"0fab498ddbe1b1ca60068a360d845ac98f6ba6e15f9675487871fcb8d90e69f9"
#define D_TRUNC                                                                \
	"312113fd2cf82a9a94314914d37fb4c05a22120809898f4ef928e939ee52a312"
#define D_TYPES                                                                \
	"a514ff853915463e25f4678e339ac1eb85f5a60aa36f9836805a8ce868c3c364"
#define D_RAW "143e100cedf6bf42310324b5a051cf9b6524ef93aea21e950566a658537c3778"
#define C_CRI "15dce4b63057c70898d10707facc933e2d3f1ced43310fe2343fd639d7330c21"
#define C_SANDBOX                                                              \
	"00a2bd46a544fb56803a4cbe27c8b53a9a934095faa765a9c85f6e680ed65217"
#define C_NERDCTL                                                              \
	"4eaabf7d2718b4f3f997b795efbe76b1530548e8ad0cd96981d5349e5a72ee20"
#define C_REFNAME                                                              \
	"833fad587f9fc015bbdcb897e9f2cd12305695ab0df185f484bcf56a83c570c2"
#define R_RUN "5bbf6a99ab8518438d5f4154c31aa3230040db911c06a3adb5b2b37238791952"
#define R_VARLIB                                                               \
	"ac1b9dda8efffa188b6ae5e115ae7d6a49408271de05ff05be244b6d027efbf5"
#define R_LIST                                                                 \
	"b75c69eceb060f3a3c17286167c35a04428e1245445c01bd77d8c13e612ec406"
#define P_WEB "791dc9429a3c97e4718fc3368fe7e5b07214e94f1048474cc61d196b655cf3b8"
#define P_NOIMG                                                                \
	"f508c21d267a75414f55d707140e354ca31bd6b8eaf374d79551e40e70285a78"
#define P_VOLATILE                                                             \
	"5d72b7e47be950c71aea8fb914cbe63ce16093b94007e4b2e0a400cff23a9c13"
#define U_DIRECT                                                               \
	"feaf8db5d352a27d6cdb77775e6e8b054e4023d2d2e8bf10d9ac8be89deaf9ff"
#define U_SCAN                                                                 \
	"da01f87e116202004ec5b37fcf51b4b3e5d83b98d05266a7983840938657e5d0"
#define U_ESCAPE                                                               \
	"c5baa57de890dc1525862d3fbdf15c34d3846d5e3502b436c6a7008d187265a8"
#define U_OTHER                                                                \
	"666ad8bb9f4ef179edf8abaff0bed45379699a2d6ab3660e2326cd2373571b80"
#define NOWHERE                                                                \
	"0000000000000000000000000000000000000000000000000000000000000000"

#define DOCKER_DIR "var/lib/docker/containers/"

/* Short enough that every path built from them fits in PATH_MAX. */
#define DIR_MAX 1024
#define ROOT_MAX 2048

static char data[DIR_MAX]; /* $srcdir/testdata/containers */
static char tmp[DIR_MAX];  /* scratch roots, removed at the end */

/* @root is under testdata unless absolute. */
static int meta(const char *root, enum container_runtime rt, const char *id,
		struct container_meta *m)
{
	struct container_ref ref = { .runtime = rt };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", data, root);
	snprintf(ref.id, sizeof(ref.id), "%s", id);
	/* Whatever was in @m before must not survive. */
	memset(m, 0x5a, sizeof(*m));
	return container_meta_read(root[0] == '/' ? root : path, &ref, m);
}

static void expect(const char *root, enum container_runtime rt, const char *id,
		   const char *name, const char *image, const char *pod,
		   const char *ns, const char *what)
{
	struct container_meta m;
	int ret = meta(root, rt, id, &m);

	ok(ret == 0, "%s: found (ret %d)", what, ret);
	is_str(m.name, name, "%s: name", what);
	is_str(m.image, image, "%s: image", what);
	is_str(m.pod, pod, "%s: pod", what);
	is_str(m.pod_namespace, ns, "%s: pod namespace", what);
}

static void expect_none(const char *root, enum container_runtime rt,
			const char *id, const char *what)
{
	struct container_meta m;
	int ret = meta(root, rt, id, &m);

	ok(ret == -ENOENT && !m.name[0] && !m.image[0] && !m.pod[0] &&
		   !m.pod_namespace[0],
	   "%s: nothing (ret %d)", what, ret);
}

static void test_docker(void)
{
	char root[ROOT_MAX];
	struct container_meta m;
	struct container_ref ref;

	expect("docker", CTR_DOCKER, D_WEB, "web", "nginx:1.25", "", "",
	       "docker: plain container");
	expect("docker", CTR_DOCKER, D_K8S, "checkout",
	       "registry.example.com/shop/checkout@sha256:"
	       "5b1f7c3e0d2a4f6b8c9e1d3f5a7b9c2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c",
	       "checkout-7d9f8b6c5-x2x4q", "shop", "docker: cri-dockerd pod");
	expect("docker", CTR_DOCKER, D_SPOOF, "plain", "evil/image:latest", "",
	       "", "docker: Kubernetes labels from an image are ignored");
	expect_none("docker", CTR_DOCKER, NOWHERE, "docker: unknown id");
	expect_none("docker", CTR_CONTAINERD, D_WEB,
		    "docker: looked up as containerd");

	/* The way netrec calls it: straight from a process's cgroup. */
	ok(container_from_cgroup("/system.slice/docker-" D_WEB ".scope", &ref),
	   "docker: cgroup parsed");
	snprintf(root, sizeof(root), "%s/docker", data);
	ok(container_meta_read(root, &ref, &m) == 0 && !strcmp(m.name, "web"),
	   "docker: from a cgroup path");
}

static void test_containerd(void)
{
	expect("containerd", CTR_CONTAINERD, C_CRI, "coredns",
	       "registry.k8s.io/coredns/coredns:v1.11.1",
	       "coredns-76f75df574-8zq6w", "kube-system", "containerd: CRI");
	expect("containerd", CTR_CONTAINERD, C_SANDBOX, "", "",
	       "coredns-76f75df574-8zq6w", "kube-system",
	       "containerd: CRI sandbox");
	expect("containerd", CTR_CONTAINERD, C_NERDCTL, "cache",
	       "docker.io/library/redis:7-alpine", "", "",
	       "containerd: nerdctl");
	expect("containerd", CTR_CONTAINERD, C_REFNAME, "", "22.04", "", "",
	       "containerd: image ref name only");
	expect_none("containerd", CTR_CONTAINERD, NOWHERE,
		    "containerd: unknown id");
}

static void test_crio(void)
{
	expect("crio", CTR_CRIO, R_RUN, "prometheus",
	       "quay.io/prometheus/prometheus:v2.51.0", "prometheus-0",
	       "monitoring", "cri-o: bundle in run/");
	expect("crio", CTR_CRIO, R_VARLIB, "etcd",
	       "registry.k8s.io/etcd:3.5.12-0", "etcd-cp1", "kube-system",
	       "cri-o: bundle in var/lib/, preferred to the storage list");
	expect("crio", CTR_CRIO, R_LIST,
	       "k8s_coredns_coredns-5d78c9869d-q2lqk_kube-system_7b1e_1",
	       "registry.k8s.io/coredns/coredns:v1.10.1", "", "",
	       "cri-o: storage list only");
	expect_none("crio", CTR_CRIO, NOWHERE, "cri-o: unknown id");
}

static void test_podman(void)
{
	expect("podman", CTR_PODMAN, P_WEB, "webapp",
	       "quay.io/example/webapp:2.4", "", "", "podman: containers.json");
	expect("podman", CTR_PODMAN, P_VOLATILE, "tmp-shell",
	       "registry.fedoraproject.org/fedora:41", "", "",
	       "podman: --rm container");
	expect("podman", CTR_PODMAN, P_NOIMG, "",
	       "c7b4f26a7d93f7d9b5b7e5f1a9c0d3e2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6",
	       "", "", "podman: bad names and metadata, image id kept");
	expect_none("podman", CTR_PODMAN, NOWHERE, "podman: unknown id");
}

static void test_runc(void)
{
	expect("runc", CTR_DOCKER, U_DIRECT, "direct-web",
	       "docker.io/library/caddy:2", "", "", "runc: state by id");
	expect("runc", CTR_DOCKER, U_SCAN, "builder",
	       "docker.io/library/golang:1.22", "", "",
	       "runc: scan by cgroup_paths");
	expect("runc", CTR_CRIO, U_OTHER, "other", "", "", "",
	       "runc: scan by config.cgroups.path, bad labels");
	expect("runc", CTR_CONTAINERD, U_ESCAPE, "escape", "", "", "",
	       "runc: bundle path kept inside root");
	expect_none("runc", CTR_PODMAN, NOWHERE,
		    "runc: unknown id, broken state skipped");
}

static void test_lxc(void)
{
	struct container_ref ref;
	struct container_meta m;

	ok(container_from_cgroup("/lxc.payload.db-01/init.scope", &ref),
	   "lxc: cgroup parsed");
	ok(container_meta_read("/nonexistent", &ref, &m) == 0,
	   "lxc: found without any file");
	is_str(m.name, "db-01", "lxc: name is the id");
	ok(!m.image[0] && !m.pod[0] && !m.pod_namespace[0], "lxc: rest empty");
	expect_none("docker", CTR_LXC, "", "lxc: empty name");
}

static void test_hostile(void)
{
	expect("docker", CTR_DOCKER, D_HOSTILE,
	       "a\nb/../c\"d'e\\f\x1b[31m\xe2\x80\xae\xc2\x85\xef\xbf\xbf"
	       "\xf0\x9f\x98\x80",
	       "../../etc/passwd\"\a", "", "",
	       "hostile: control bytes, quotes, slashes, odd code points");
	expect("docker", CTR_DOCKER, D_NUL, "ab", "busybox", "", "",
	       "hostile: \\u0000 ends a string");
	expect_none("docker", CTR_DOCKER, D_SURROGATE,
		    "hostile: lone surrogate rejects the file");
	expect_none("docker", CTR_DOCKER, D_RAW,
		    "hostile: raw invalid UTF-8 rejects the file");
	expect_none("docker", CTR_DOCKER, D_TRUNC, "hostile: truncated JSON");
	expect("docker", CTR_DOCKER, D_TYPES, "", "alpine:3.20", "", "",
	       "hostile: wrong types give what is left");
}

static void test_args(void)
{
	struct container_ref ref = { .runtime = CTR_DOCKER, .id = D_WEB };
	struct container_meta m;
	char root[ROOT_MAX];

	snprintf(root, sizeof(root), "%s/docker", data);
	ok(container_meta_read(root, &ref, NULL) == -EINVAL, "args: NULL meta");
	memset(&m, 0x5a, sizeof(m));
	ok(container_meta_read(NULL, &ref, &m) == -EINVAL && !m.name[0],
	   "args: NULL root");
	ok(container_meta_read(root, NULL, &m) == -EINVAL, "args: NULL ref");
	ref.runtime = CTR_NONE;
	ok(container_meta_read(root, &ref, &m) == -EINVAL, "args: host");
	ref.runtime = (enum container_runtime)99;
	ok(container_meta_read(root, &ref, &m) == -EINVAL, "args: bad runtime");
	ref.runtime = CTR_DOCKER;
	snprintf(ref.id, sizeof(ref.id), "../../../../../../etc/passwd");
	ok(container_meta_read(root, &ref, &m) == -EINVAL, "args: path as id");
	snprintf(ref.id, sizeof(ref.id), "%.63s", D_WEB);
	ok(container_meta_read(root, &ref, &m) == -EINVAL, "args: short id");
	snprintf(ref.id, sizeof(ref.id), "%s", D_WEB);
	ref.id[0] = 'A';
	ok(container_meta_read(root, &ref, &m) == -EINVAL, "args: upper case");
	expect_none("no-such-root", CTR_DOCKER, D_WEB, "args: missing root");
}

/* Run-time trees. */

static void put(const char *root, const char *rel, const char *s, size_t n)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!tu_write_file(path, s, n)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void put_str(const char *root, const char *rel, const char *s)
{
	put(root, rel, s, strlen(s));
}

static void mkroot(char *out, const char *name)
{
	snprintf(out, ROOT_MAX, "%s/%s", tmp, name);
	mkdir(out, 0755);
}

/* Not sprintf: gcc's sanitizer build sees a NULL destination in it. */
static size_t cat(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

/* A docker config whose name is @n copies of @unit. */
static void long_name(const char *root, const char *id, const char *unit,
		      size_t n)
{
	size_t ul = strlen(unit), i, len = 0;
	char rel[256], *buf = malloc(2 * n * ul + 128);

	if (!buf)
		return;
	len += cat(buf, "{\"Config\":{\"Image\":\"");
	for (i = 0; i < n; i++, len += ul)
		memcpy(buf + len, unit, ul);
	len += cat(buf + len, "\"},\"Name\":\"/");
	for (i = 0; i < n; i++, len += ul)
		memcpy(buf + len, unit, ul);
	len += cat(buf + len, "\"}");
	snprintf(rel, sizeof(rel), DOCKER_DIR "%s/config.v2.json", id);
	put(root, rel, buf, len);
	free(buf);
}

/* Make @root/var/lib and leave the path of var/lib/docker in @path. */
static void var_lib_docker(const char *root, char *path)
{
	snprintf(path, PATH_MAX, "%s/var", root);
	mkdir(path, 0755);
	strcat(path, "/lib");
	mkdir(path, 0755);
	strcat(path, "/docker");
}

static void test_long(void)
{
	struct container_meta m;
	char root[ROOT_MAX];

	mkroot(root, "long");
	long_name(root, D_WEB, "x", 10240);
	long_name(root, D_K8S, "\xc3\xa9", 5120);	    /* é */
	long_name(root, D_SPOOF, "\xf0\x9f\x98\x80", 2560); /* 😀 */

	ok(meta(root, CTR_DOCKER, D_WEB, &m) == 0 &&
		   strlen(m.name) == sizeof(m.name) - 1 &&
		   strspn(m.name, "x") == sizeof(m.name) - 1 &&
		   strlen(m.image) == sizeof(m.image) - 1,
	   "long: 10 KiB name and image cut to the field");
	ok(meta(root, CTR_DOCKER, D_K8S, &m) == 0 && strlen(m.name) == 254 &&
		   !strcmp(m.name + 252, "\xc3\xa9") && strlen(m.image) == 510,
	   "long: 2-byte characters not split");
	ok(meta(root, CTR_DOCKER, D_SPOOF, &m) == 0 && strlen(m.name) == 252 &&
		   !strcmp(m.name + 248, "\xf0\x9f\x98\x80") &&
		   strlen(m.image) == 508,
	   "long: 4-byte characters not split");
}

static void test_files(void)
{
	static const char good[] =
		"{\"Config\":{\"Image\":\"img\"},\"Name\":\"/good\"}";
	char root[ROOT_MAX], path[PATH_MAX], target[PATH_MAX], *big;
	struct container_meta m;
	size_t n, head;

	/* A config.v2.json that is a link to another container's. */
	mkroot(root, "link");
	put_str(root, DOCKER_DIR D_WEB "/config.v2.json", good);
	snprintf(path, sizeof(path), "%s/" DOCKER_DIR D_K8S, root);
	mkdir(path, 0755);
	strcat(path, "/config.v2.json");
	ok(!symlink("../" D_WEB "/config.v2.json", path), "files: link made");
	expect(root, CTR_DOCKER, D_WEB, "good", "img", "", "",
	       "files: link target itself");
	expect_none(root, CTR_DOCKER, D_K8S, "files: symlinked config refused");

	/* var/lib/docker moved elsewhere, as admins do, inside the root. */
	mkroot(root, "moved");
	put_str(root, "data/docker/containers/" D_WEB "/config.v2.json", good);
	var_lib_docker(root, path);
	ok(!symlink("/data/docker", path), "files: dir link made");
	expect(root, CTR_DOCKER, D_WEB, "good", "img", "", "",
	       "files: absolute dir link resolved in root");

	/* The same links pointing out of the root must not be followed. */
	mkroot(root, "outside");
	put_str(root, "docker/containers/" D_WEB "/config.v2.json", good);
	snprintf(target, sizeof(target), "%s/docker", root);
	mkroot(root, "escape-abs");
	var_lib_docker(root, path);
	ok(!symlink(target, path), "files: escaping link made");
	expect_none(root, CTR_DOCKER, D_WEB, "files: absolute link escape");
	mkroot(root, "escape-rel");
	var_lib_docker(root, path);
	ok(!symlink("../../../outside/docker", path), "files: dotdot made");
	expect_none(root, CTR_DOCKER, D_WEB, "files: dotdot link escape");

	/* Not regular files: a FIFO would block a plain open() forever. */
	mkroot(root, "special");
	put_str(root, DOCKER_DIR D_K8S "/x", "");
	snprintf(path, sizeof(path), "%s/" DOCKER_DIR D_K8S "/config.v2.json",
		 root);
	ok(!mkfifo(path, 0644), "files: fifo made");
	expect_none(root, CTR_DOCKER, D_K8S, "files: fifo refused");
	snprintf(path, sizeof(path), "%s/" DOCKER_DIR D_WEB "/config.v2.json",
		 root);
	put_str(root, DOCKER_DIR D_WEB "/x", "");
	mkdir(path, 0755);
	expect_none(root, CTR_DOCKER, D_WEB, "files: directory refused");
	put_str(root, DOCKER_DIR D_SPOOF "/config.v2.json", "");
	expect_none(root, CTR_DOCKER, D_SPOOF, "files: empty file");

	/* Size: a valid document padded past the limit, and one under it. */
	mkroot(root, "size");
	n = 5u << 20;
	big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, good, sizeof(good) - 1);
	put(root, DOCKER_DIR D_WEB "/config.v2.json", big, n);
	put(root, DOCKER_DIR D_K8S "/config.v2.json", big, 3u << 20);
	free(big);
	expect_none(root, CTR_DOCKER, D_WEB, "files: 5 MiB refused");
	expect(root, CTR_DOCKER, D_K8S, "good", "img", "", "",
	       "files: 3 MiB read");

	/* Nesting far past jansson's depth limit. */
	n = 200000;
	big = malloc(2 * n + 64);
	strcpy(big, "{\"Config\":{\"Image\":\"img\"},\"Name\":");
	head = strlen(big);
	memset(big + head, '[', n);
	memset(big + head + n, ']', n);
	big[head + 2 * n] = '}';
	put(root, DOCKER_DIR D_SPOOF "/config.v2.json", big, head + 2 * n + 1);
	free(big);
	ok(meta(root, CTR_DOCKER, D_SPOOF, &m) == -ENOENT,
	   "files: deep nesting rejected");
}

int main(void)
{
	const char *srcdir = getenv("srcdir");
	const char *tmpdir = getenv("TMPDIR");

	snprintf(data, sizeof(data), "%s/testdata/containers",
		 srcdir ? srcdir : ".");
	snprintf(tmp, sizeof(tmp), "%s/test_ctrmeta.XXXXXX",
		 tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(tmp)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* A blocking read would hang the suite rather than fail it. */
	alarm(60);

	test_docker();
	test_containerd();
	test_crio();
	test_podman();
	test_runc();
	test_lxc();
	test_hostile();
	test_args();
	test_long();
	test_files();

	tu_rm_tree(tmp);
	return tap_done();
}
