/* peil run --jobs N: sections in parallel, each in a process of its own.
 *
 * HDF5 (Debian's build) is not thread-safe, and a section's analysis uses
 * every thread it is given, so sections run as separate processes: the
 * same peil, told to run one section into the run's directories
 * (--section, internal). A section starts when the section it reads from
 * (from = NAME) has finished; the output is the same as a serial run's,
 * since every section writes only its own files. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run_jobs.h"

extern char **environ;

static pid_t spawn_section(const run_plan *p, size_t k, const run_env *env, const run_job_args *a) {
  char threads[32];
  snprintf(threads, sizeof threads, "%d", env->threads > 0 ? env->threads : 1);
  const char *args[20];
  size_t n = 0;
  args[n++] = "peil";
  args[n++] = "run";
  args[n++] = a->spec;
  args[n++] = "--section";
  args[n++] = p->sections[k].name;
  args[n++] = "--into";
  args[n++] = env->outdir;
  args[n++] = "--rows-dir";
  args[n++] = env->rowsdir;
  args[n++] = "--threads";
  args[n++] = threads;
  if (a->store) args[n++] = "--store", args[n++] = a->store;
  if (!env->rules.enabled) args[n++] = "--no-disclosure-control";
  args[n++] = "-q";
  args[n] = NULL;
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, (char *const *)args, environ);
  return rc ? -1 : pid;
}

/* The running children, for run_jobs_stop in a signal handler: at most
 * --jobs (<= 1024) at a time, 0 for a free slot. */
#define MAX_RUNNING 1024
static volatile pid_t running_pid[MAX_RUNNING];

static void track(pid_t pid, int on) {
  for (int i = 0; i < MAX_RUNNING; i++)
    if (running_pid[i] == (on ? 0 : pid)) {
      running_pid[i] = on ? pid : 0;
      return;
    }
}

void run_jobs_stop(void) {
  for (int i = 0; i < MAX_RUNNING; i++)
    if (running_pid[i] > 0) kill(running_pid[i], SIGTERM);
  for (int i = 0; i < MAX_RUNNING; i++)
    if (running_pid[i] > 0) waitpid(running_pid[i], NULL, 0);
}

int run_jobs(const run_plan *p, const run_env *env, const run_job_args *a) {
  size_t n = p->n, done = 0, running = 0;
  int *state = calloc(n, sizeof *state); /* 0 waiting, 1 running, 2 done */
  pid_t *pid = calloc(n, sizeof *pid);
  if (!state || !pid) {
    free(state), free(pid);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  int rc = PEIL_OK;
  while (done < n && !rc) {
    for (size_t k = 0; k < n && running < (size_t)a->jobs && !rc; k++) {
      int from = p->sections[k].from;
      if (state[k] != 0 || (from >= 0 && state[from] != 2)) continue;
      if (!cli_quiet) fprintf(stderr, "[%s] ...\n", p->sections[k].section);
      if ((pid[k] = spawn_section(p, k, env, a)) < 0)
        rc = peil_error(PEIL_EIO, "cannot start a process for [%s]: %s", p->sections[k].section, strerror(errno));
      else
        state[k] = 1, running++, track(pid[k], 1);
    }
    if (rc || !running) break;
    int status;
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      rc = peil_error(PEIL_EIO, "waiting for the sections: %s", strerror(errno));
      break;
    }
    for (size_t k = 0; k < n; k++) {
      if (state[k] != 1 || pid[k] != got) continue;
      state[k] = 2, running--, done++, track(got, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        rc = peil_error(code == 2 ? PEIL_EINVAL : PEIL_EIO, "[%s] failed (its message is above)",
                        p->sections[k].section);
      }
    }
  }
  /* After a failure: stop the others and wait for them. */
  for (size_t k = 0; k < n; k++)
    if (state[k] == 1) kill(pid[k], SIGTERM);
  for (size_t k = 0; k < n; k++)
    if (state[k] == 1) waitpid(pid[k], NULL, 0), track(pid[k], 0);
  free(state), free(pid);
  return rc;
}
