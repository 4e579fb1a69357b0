/*
 * repl_tty.c - the monitor at a terminal (DESIGN.md §5): the readline
 * prompt with history, completion of command names (first word) and guest
 * symbols (later words), and Ctrl-C, which stops a running guest and
 * otherwise clears the line.  Batch mode (-x) and the command dispatcher
 * live in repl.c; this file is what only a person at a keyboard needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "monitor/repl.h"

/* ---- readline: completion of command names and symbols --------------------- */

static struct monitor *rl_mon; /* readline's callbacks take no context */

static char *complete_cmd(const char *text, int state)
{
	static const char *names[256];
	static int n, i;
	size_t len = strlen(text);

	if (!state) {
		n = mon_cmd_names(names, (int)ARRAY_SIZE(names));
		i = 0;
	}
	for (; i < n; i++)
		if (!strncmp(names[i], text, len))
			return strdup(names[i++]);
	return NULL;
}

static char *complete_sym(const char *text, int state)
{
	static size_t i;
	size_t len = strlen(text);

	if (!state)
		i = 0;
	for (; rl_mon && i < rl_mon->syms.n; i++)
		if (!strncmp(rl_mon->syms.v[i].name, text, len))
			return strdup(rl_mon->syms.v[i++].name);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1; /* no file names */
	return rl_completion_matches(text, start == 0 ? complete_cmd : complete_sym);
}

/* ---- Ctrl-C: break into the prompt while the guest runs -------------------- */

/*
 * One SIGINT handler for the whole interactive session, installed before
 * the first prompt: a ^C must never kill vmlab, whenever it comes.
 * While a command runs the guest, sig_vm is set and ^C asks the run loop
 * to stop at the next instruction boundary (vm_debug_interrupt only sets a
 * flag: async-signal-safe).  At the prompt the handler writes a byte into
 * a pipe (the self-pipe trick: also async-signal-safe), and readline's
 * input function waits on the terminal AND that pipe with poll(), so a ^C
 * is seen even when it lands between two reads -- a flag checked before a
 * blocking read() would be lost there.  It drops the half-typed line and
 * shows a fresh prompt, as gdb or a shell does.
 */
static struct vm *volatile sig_vm;
static int sig_pipe[2] = {-1, -1};

static void on_sigint(int sig)
{
	int saved = errno;

	(void)sig;
	if (sig_vm)
		vm_debug_interrupt(sig_vm);
	else if (write(sig_pipe[1], "c", 1) < 0) {
		/* pipe full: a ^C is already pending, nothing is lost */
	}
	errno = saved;
}

static int getc_or_sigint(FILE *in)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fileno(in), .events = POLLIN},
				      {.fd = sig_pipe[0], .events = POLLIN}};
		char junk[64];

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return rl_getc(in);
		}
		if (p[1].revents & POLLIN) {
			while (read(sig_pipe[0], junk, sizeof(junk)) > 0)
				;
			rl_replace_line("", 0);
			rl_crlf();
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		if (p[0].revents)
			return rl_getc(in);
	}
}

static void install_sigint(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0) {
		if (pipe(sig_pipe) < 0)
			return; /* no pipe: ^C keeps its default meaning */
		for (int i = 0; i < 2; i++) {
			fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
			fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	rl_catch_signals = 0;
	rl_getc_function = getc_or_sigint;
}

/* Ctrl-C stops the guest while a command runs, clears the line otherwise. */
static void arm_sigint(struct monitor *m, bool on)
{
	sig_vm = on ? m->vm : NULL;
}

int mon_run_interactive(struct monitor *m)
{
	rl_mon = m;
	rl_attempted_completion_function = complete;
	rl_readline_name = "vmlab";
	install_sigint();
	mon_where(m);
	while (!m->quit) {
		char *line;

		fflush(m->out);
		if (m->partial_line) {
			fputc('\n', m->out);
			m->partial_line = false;
		}
		line = readline("(vmlab) ");
		if (!line) { /* EOF (Ctrl-D) */
			fputc('\n', m->out);
			break;
		}
		if (*line)
			add_history(line);
		arm_sigint(m, true);
		monitor_exec(m, line);
		arm_sigint(m, false);
		free(line);
	}
	rl_mon = NULL;
	return mon_final_status(m);
}
