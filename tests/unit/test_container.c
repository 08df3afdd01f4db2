// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "tap.h"

/* Realistic ids: 64 lower-case hex, as docker/containerd/cri-o print them. */
#define ID1 "4f2b1c7e9a3d5e8f0b6c2d4a1e7f9b3c5d8e0a2f4b6c8d1e3f5a7b9c0d2e4f61"
#define ID2 "a81c3e5f7b9d0e2f4a6c8b1d3e5f7a9c0b2d4e6f8a1c3b5d7e9f0a2c4e6b8d03"
#define ID_63 "4f2b1c7e9a3d5e8f0b6c2d4a1e7f9b3c5d8e0a2f4b6c8d1e3f5a7b9c0d2e4f6"
#define ID_65 ID1 "7"
#define ID_UPPER                                                               \
	"4F2B1C7E9A3D5E8F0B6C2D4A1E7F9B3C5D8E0A2F4B6C8D1E3F5A7B9C0D2E4F61"
#define ID_NONHEX                                                              \
	"4f2b1c7e9a3d5e8f0b6c2d4a1e7f9b3c5d8e0a2f4b6c8d1e3f5a7b9c0d2e4fg1"
/* A pod uid, dashed (cgroupfs driver) and underscored (systemd driver). */
#define UID "7d3c9a1e-5b2f-4c8d-9e6a-0f1b2c3d4e5f"
#define UID_ "7d3c9a1e_5b2f_4c8d_9e6a_0f1b2c3d4e5f"
/* Static (mirror) pods: kubelet uses an md5 hex digest as the uid. */
#define UID_STATIC "0b9e4d2c7a1f3e5d8c6b4a2f1e0d9c8b"
/* Cgroup path prefixes, kept short so the cases below stay readable. */
#define ROOTLESS "/user.slice/user-1000.slice/user@1000.service/user.slice"
#define SD_BURST "/kubepods.slice/kubepods-burstable.slice"
#define SD_BEST "/kubepods.slice/kubepods-besteffort.slice"

static void yes(const char *path, enum container_runtime rt, const char *id,
		const char *pod, const char *what)
{
	struct container_ref ref;
	bool ret = container_from_cgroup(path, &ref);
	bool good = ret && ref.runtime == rt && !strcmp(ref.id, id) &&
		    !strcmp(ref.pod_uid, pod);

	ok(good, "%s", what);
	if (!good)
		printf("#   path %s\n#   got ret=%d %s id='%s' pod='%s'\n",
		       path, ret, container_runtime_name(ref.runtime), ref.id,
		       ref.pod_uid);
}

static void no(const char *path, const char *what)
{
	struct container_ref ref;
	bool ret;

	/* Stale data in @ref must not leak through a negative answer. */
	memset(&ref, 0x5a, sizeof(ref));
	ret = container_from_cgroup(path, &ref);
	ok(!ret && ref.runtime == CTR_NONE && !ref.id[0] && !ref.pod_uid[0],
	   "%s", what);
	if (ret || ref.runtime != CTR_NONE)
		printf("#   path %s\n#   got ret=%d %s\n",
		       path ? path : "(null)", ret,
		       container_runtime_name(ref.runtime));
}

static void test_ids(void)
{
	ok(strlen(ID1) == 64 && strlen(ID2) == 64 && strlen(ID_63) == 63 &&
		   strlen(ID_65) == 65 && strlen(UID) == 36 &&
		   strlen(UID_STATIC) == 32 && strlen(ID_UPPER) == 64 &&
		   strlen(ID_NONHEX) == 64,
	   "test fixtures have the intended lengths");
}

static void test_docker(void)
{
	yes("/system.slice/docker-" ID1 ".scope", CTR_DOCKER, ID1, "",
	    "docker, systemd driver");
	yes("/docker/" ID1, CTR_DOCKER, ID1, "", "docker, cgroupfs driver");
	yes("/docker/" ID1 "/", CTR_DOCKER, ID1, "", "docker, trailing slash");
	yes("/docker/" ID1 "/init.scope", CTR_DOCKER, ID1, "",
	    "docker, cgroupfs, nested cgroup inside the container");
	yes("/docker/" ID1 "/docker/" ID2, CTR_DOCKER, ID2, "",
	    "docker-in-docker: innermost container wins");
	yes(ROOTLESS "/docker-" ID1 ".scope", CTR_DOCKER, ID1, "",
	    "rootless docker");
}

static void test_containerd_crio(void)
{
	yes("/system.slice/cri-containerd-" ID1 ".scope", CTR_CONTAINERD, ID1,
	    "", "containerd scope outside kubepods");
	yes("/system.slice/crio-" ID1 ".scope", CTR_CRIO, ID1, "",
	    "cri-o scope outside kubepods");
	no("/system.slice/crio-conmon-" ID1 ".scope", "cri-o conmon is host");
	no("/system.slice/containerd.service", "containerd daemon is host");
	no("/system.slice/crio.service", "cri-o daemon is host");
}

static void test_podman(void)
{
	yes("/machine.slice/libpod-" ID1 ".scope", CTR_PODMAN, ID1, "",
	    "podman, systemd driver");
	yes("/machine.slice/libpod-" ID1 ".scope/container", CTR_PODMAN, ID1,
	    "", "podman, systemd driver, container sub-cgroup");
	yes("/libpod_parent/libpod-" ID1, CTR_PODMAN, ID1, "",
	    "podman, cgroupfs driver");
	yes(ROOTLESS "/libpod-" ID1 ".scope/container", CTR_PODMAN, ID1, "",
	    "rootless podman");
	no("/machine.slice/libpod-conmon-" ID1 ".scope",
	   "podman conmon is host");
	no("/machine.slice/machine-libpod_pod_" ID1 ".slice",
	   "podman pod slice itself is not a container");
}

static void test_kube_systemd(void)
{
	yes(SD_BURST "/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID1
		     ".scope",
	    CTR_CONTAINERD, ID1, UID, "k8s systemd, burstable, containerd");
	yes(SD_BEST "/kubepods-besteffort-pod" UID_ ".slice/crio-" ID1 ".scope",
	    CTR_CRIO, ID1, UID, "k8s systemd, besteffort, cri-o");
	yes("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID1 ".scope",
	    CTR_DOCKER, ID1, UID, "k8s systemd, guaranteed, docker");
	yes(SD_BURST "/kubepods-burstable-pod" UID_STATIC
		     ".slice/cri-containerd-" ID1 ".scope",
	    CTR_CONTAINERD, ID1, UID_STATIC, "k8s systemd, static pod uid");
	yes("/system.slice/docker-" ID2
	    ".scope/kubelet.slice/kubelet-kubepods.slice/"
	    "kubelet-kubepods-besteffort.slice/"
	    "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID1
	    ".scope",
	    CTR_CONTAINERD, ID1, UID, "kind: pod inside a docker node");
	yes("/system.slice/docker-" ID2 ".scope/kubelet.slice", CTR_DOCKER, ID2,
	    "", "kind: the node's own kubelet is in the node container");
	no(SD_BEST "/kubepods-besteffort-pod" UID_ ".slice/crio-conmon-" ID1
		   ".scope",
	   "k8s systemd, cri-o conmon is host");
	no(SD_BURST "/kubepods-burstable-pod" UID_ ".slice",
	   "k8s pod slice itself is not a container");
	no(SD_BURST, "k8s QoS slice");
	no("/kubepods.slice", "kubepods root");
}

static void test_kube_cgroupfs(void)
{
	yes("/kubepods/burstable/pod" UID "/" ID1, CTR_CONTAINERD, ID1, UID,
	    "k8s cgroupfs, burstable, bare id");
	yes("/kubepods/besteffort/pod" UID "/" ID1, CTR_CONTAINERD, ID1, UID,
	    "k8s cgroupfs, besteffort, bare id");
	yes("/kubepods/pod" UID "/" ID1, CTR_CONTAINERD, ID1, UID,
	    "k8s cgroupfs, guaranteed, bare id");
	yes("/kubepods/burstable/pod" UID "/crio-" ID1, CTR_CRIO, ID1, UID,
	    "k8s cgroupfs, cri-o leaf");
	yes("/kubepods/burstable/pod" UID "/docker-" ID1, CTR_DOCKER, ID1, UID,
	    "k8s cgroupfs, docker leaf");
	yes("/kubepods/pod" UID_STATIC "/" ID1, CTR_CONTAINERD, ID1, UID_STATIC,
	    "k8s cgroupfs, static pod uid");
	no("/kubepods/burstable/pod" UID "/crio-conmon-" ID1,
	   "k8s cgroupfs, cri-o conmon is host");
	no("/kubepods/burstable/pod" UID, "k8s cgroupfs pod itself");
	no("/kubepods/burstable/pod" UID "/" ID_63, "k8s cgroupfs, short id");
	no("/kubepods/burstable", "k8s cgroupfs QoS");
	no("/kubepods/burstable/pod" UID_ "/" ID1,
	   "k8s cgroupfs with an underscored uid is not a pod");
	no("/kubepods/burstable/podnotauid/" ID1,
	   "bare id under a non-pod directory");
	no("/system.slice/pod" UID "/" ID1,
	   "pod-like directory outside kubepods");
	no("/kubepods/guaranteed/pod" UID "/" ID1,
	   "pod-like directory under an unknown QoS class");
	no("/system.slice/burstable/pod" UID "/" ID1,
	   "QoS-like directory outside kubepods");
}

static void test_lxc(void)
{
	char path[256], want[NR_CTR_ID_LEN + 1];

	yes("/lxc.payload.web01", CTR_LXC, "web01", "", "lxc");
	yes("/lxc.payload.web01/system.slice/nginx.service", CTR_LXC, "web01",
	    "", "lxc, systemd inside the container");
	yes("/lxc.payload.outer/lxc.payload.inner", CTR_LXC, "inner", "",
	    "nested lxc: innermost wins");

	memset(want, 'n', NR_CTR_ID_LEN);
	want[NR_CTR_ID_LEN] = '\0';
	snprintf(path, sizeof(path), "/lxc.payload.%s%s", want, "overflow");
	yes(path, CTR_LXC, want, "", "lxc, long name truncated");

	no("/lxc.payload.", "lxc with empty name");
	no("/lxc.monitor.web01", "lxc monitor is host");
}

static void test_host(void)
{
	no("/", "cgroup root");
	no("", "empty path");
	no(NULL, "NULL path");
	no("/init.scope", "init");
	no("/user.slice/user-1000.slice/session-3.scope", "login session");
	no("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	   "app-gnome-firefox-4242.scope",
	   "desktop app");
	no("/system.slice/ssh.service", "system service");
	no("/system.slice/docker.service", "docker daemon");
	no("/docker", "docker parent, no id");
	no("/system.slice/" ID1, "bare id outside docker/kubepods");
	no("/system.slice/docker-" ID_63 ".scope", "63-char id");
	no("/system.slice/docker-" ID_65 ".scope", "65-char id");
	no("/docker/" ID_63, "63-char id, cgroupfs");
	no("/docker/" ID_65, "65-char id, cgroupfs");
	no("/system.slice/docker-" ID_UPPER ".scope", "upper-case id");
	no("/docker/" ID_UPPER, "upper-case id, cgroupfs");
	no("/system.slice/docker-" ID_NONHEX ".scope", "non-hex id");
	no("/system.slice/docker-" ID1 ".service", "wrong unit suffix");
	no("/system.slice/docker-" ID1 ".scopex", "junk after .scope");
	no("/system.slice/docker-.scope", "empty id");
}

static void test_names(void)
{
	is_str(container_runtime_name(CTR_NONE), "host", "name: host");
	is_str(container_runtime_name(CTR_DOCKER), "docker", "name: docker");
	is_str(container_runtime_name(CTR_CONTAINERD), "containerd",
	       "name: containerd");
	is_str(container_runtime_name(CTR_CRIO), "cri-o", "name: cri-o");
	is_str(container_runtime_name(CTR_PODMAN), "podman", "name: podman");
	is_str(container_runtime_name(CTR_LXC), "lxc", "name: lxc");
}

int main(void)
{
	test_ids();
	test_docker();
	test_containerd_crio();
	test_podman();
	test_kube_systemd();
	test_kube_cgroupfs();
	test_lxc();
	test_host();
	test_names();
	return tap_done();
}
