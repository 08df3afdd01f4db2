// SPDX-License-Identifier: GPL-2.0
/*
 * barehook - hold programs that do nothing but pass each packet on the
 * cgroup_skb hooks of the cgroup v2 root until SIGINT or SIGTERM.
 *
 * scripts/bench runs its workloads under it to show what the hooks alone
 * cost: no recorder that copies packets from them can keep more.  It is
 * attached with bpf_link, so it detaches when the process ends, however
 * it ends.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cgroup.h"
#include "log.h"
#include "barehook.skel.h"

/* Until SIGINT or SIGTERM; blocked first so that none is missed. */
static int wait_for_stop(const sigset_t *set)
{
	int sig;

	pr_info("attached; SIGINT or SIGTERM detaches");
	return sigwait(set, &sig) ? -EINTR : 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *in = NULL, *out = NULL;
	struct cgroup_root root = { .fd = -1 };
	struct barehook_bpf *skel = NULL;
	sigset_t set;
	int rc = 1;

	log_set_name("barehook");
	if (argc > 1) {
		pr_err("takes no arguments, got '%s'", argv[1]);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		pr_err("cannot block SIGINT and SIGTERM: %s", strerror(errno));
		return 1;
	}
	log_hook_libbpf();
	if (cgroup_root_open(&root))
		return 1;
	skel = barehook_bpf__open_and_load();
	if (!skel) {
		pr_err("cannot load the programs: %s", strerror(errno));
		goto out;
	}
	in = cgroup_root_attach(&root, skel->progs.barehook_ingress);
	out = in ? cgroup_root_attach(&root, skel->progs.barehook_egress)
		 : NULL;
	if (out && !wait_for_stop(&set))
		rc = 0;
out:
	bpf_link__destroy(out);
	bpf_link__destroy(in);
	barehook_bpf__destroy(skel);
	cgroup_root_close(&root);
	return rc;
}
