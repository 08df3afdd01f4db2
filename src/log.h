/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_LOG_H
#define NR_LOG_H

enum log_level {
	NR_LOG_ERR = 0,
	NR_LOG_WARN,
	NR_LOG_NOTICE, /* shown even with -q */
	NR_LOG_INFO,
	NR_LOG_DEBUG,
	NR_LOG_TRACE, /* libbpf's chatter */
};

/* Messages above @level are dropped.  Default NR_LOG_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* The prefix of every message: "netrec" unless a tool says its own name. */
void log_set_name(const char *name);
const char *log_get_name(void);

/* One line on stderr, prefixed "NAME: ", written with one write(2). */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg(NR_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(NR_LOG_WARN, __VA_ARGS__)
#define pr_notice(...) log_msg(NR_LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) log_msg(NR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(NR_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf's own messages through this module. */
void log_hook_libbpf(void);

#endif
