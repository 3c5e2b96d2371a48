/* peil run --jobs N: sections in parallel processes (run_jobs.c). */
#ifndef PEIL_CLI_RUN_JOBS_H
#define PEIL_CLI_RUN_JOBS_H

#include "run_exec.h"

typedef struct {
  const char *spec;   /* the spec file, as given */
  const char *store;  /* --store, or NULL */
  int jobs;           /* sections at a time */
} run_job_args;

/* Runs every section of p, up to a->jobs at a time, into env's directories. */
int run_jobs(const run_plan *p, const run_env *env, const run_job_args *a);

/* Stops the running sections (SIGTERM) and waits for them: for the signal
 * handler (async-signal-safe), so that the output directory is removed
 * only once nothing writes into it any more. */
void run_jobs_stop(void);

#endif
