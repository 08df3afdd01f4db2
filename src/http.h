/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_HTTP_H
#define NR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Plain HTTP/1.x recognised by content, not by port (as Tracee does): a
 * request line "METHOD SP URI SP HTTP/1.x CRLF" with a known method, or a
 * status line "HTTP/1.x SP 3DIGIT SP reason CRLF".  Only the start of a
 * message is looked at: one TCP payload, maybe cut by the snaplen.
 */
#define HTTP_METHOD_MAX 16
#define HTTP_URI_MAX 1024
#define HTTP_HOST_MAX 256
#define HTTP_MSG_MAX 128

struct http_msg {
	bool is_response;
	char version[4]; /* "1.0", "1.1"; "" when the capture cut it off */
	/* request */
	char method[HTTP_METHOD_MAX];
	char uri[HTTP_URI_MAX];	  /* raw bytes, NUL-terminated; may be cut */
	char host[HTTP_HOST_MAX]; /* the Host header's value, "" if not seen */
	/* response */
	unsigned int status_code;
	char status_msg[HTTP_MSG_MAX];
};

/*
 * Returns true and fills @m when @p (@len captured payload bytes) starts
 * an HTTP/1.x request or response.  Never reads past @len; fields that do
 * not fit are cut.  Header lines are searched only within @len.
 */
bool http_parse(const uint8_t *p, size_t len, struct http_msg *m);

/*
 * Could @p start an HTTP/1.x message: "HTTP/" or a known method and a
 * space?  A cheap test for every TCP payload, ahead of http_parse().
 */
bool http_may_start(const uint8_t *p, size_t len);

#endif
