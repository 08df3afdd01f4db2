/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_COMMUNITYID_H
#define NR_COMMUNITYID_H

#include <stddef.h>
#include <stdint.h>

/*
 * Community ID v1 (https://github.com/corelight/community-id-spec): a
 * flow hash shared by Zeek, Suricata, Arkime and Elastic, so netrec's
 * flows join with their records.  "1:" and base64 of a SHA-1: 30 chars
 * ("" should libcrypto fail, for want of memory).
 */
#define COMMUNITY_ID_LEN 32 /* with the NUL */

/*
 * @family 4 or 6; addresses as in struct pkt_info (IPv4 in the first 4
 * bytes); ports in host order (ICMP/ICMPv6: type and code, mapped to the
 * spec's one-way/two-way port pair by this function); @seed 0 by default.
 * Source and destination as the packet had them: the function orders them.
 */
void community_id(int family, uint8_t proto, const uint8_t saddr[16],
		  const uint8_t daddr[16], uint16_t sport, uint16_t dport,
		  uint16_t seed, char out[COMMUNITY_ID_LEN]);

#endif
