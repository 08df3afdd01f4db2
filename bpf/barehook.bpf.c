// SPDX-License-Identifier: GPL-2.0
/*
 * The least a cgroup_skb recorder can do: run on every packet and let it
 * pass.  scripts/bench attaches these (scripts/barehook.c) to measure what
 * the hooks alone cost, the ceiling any recorder built on them can reach.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/ingress")
int barehook_ingress(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int barehook_egress(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
