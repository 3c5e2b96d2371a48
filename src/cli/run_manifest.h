/* peil run: what a run leaves beside its tables: manifest.json (what ran,
 * on what, with which rules, how long), report.md (every table in spec
 * order) and disclosure_audit.csv (every suppression and rounding, and the
 * rules). */
#ifndef PEIL_CLI_RUN_MANIFEST_H
#define PEIL_CLI_RUN_MANIFEST_H

#include "run_exec.h"

typedef struct {
  int argc;
  char **argv;             /* the command line, for the manifest */
  const char *spec_path;
  double started, finished; /* peil_seconds() */
  long long started_epoch;  /* time(): the manifest's UTC times */
  int jobs;
} run_info;

/* The SHA-256 of a file as 64 hex digits (streaming). */
int run_sha256_file(const char *path, char hex[65]);

/* Writes manifest.json, report.md and disclosure_audit.csv into env->outdir
 * from the sections' hidden files, and removes those. */
int run_finish(const run_plan *p, const run_env *env, const run_info *info);

#endif
