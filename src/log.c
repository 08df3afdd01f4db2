// SPDX-License-Identifier: GPL-2.0
/* The one logging module: every message of every thread goes through here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum log_level cur_level = NR_LOG_INFO;
static const char *prog_name = "netrec";

void log_set_name(const char *name)
{
	prog_name = name;
}

const char *log_get_name(void)
{
	return prog_name;
}

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[2048];
	int n, m;

	if (level > cur_level)
		return;
	n = snprintf(buf, sizeof(buf), "%s: %s", prog_name,
		     level == NR_LOG_WARN ? "warning: " : "");
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	n = m < 0 ? n : n + m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	/* libbpf's messages come with their own newline. */
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	/* A single write keeps lines of concurrent threads whole. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/*
	 * libbpf warns about probes we expect to fail; errors that matter come
	 * back to us as return codes and are reported by the caller.
	 */
	log_vmsg(level == LIBBPF_WARN ? NR_LOG_DEBUG : NR_LOG_TRACE, fmt, ap);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
