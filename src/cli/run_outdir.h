/* peil run's output directory, replaced as a whole: the tables are written
 * into a new directory beside it, which takes the old one's place only when
 * the run has succeeded (one atomic exchange of the two names); a failed or
 * interrupted run leaves the previous output as it was. */
#ifndef PEIL_CLI_RUN_OUTDIR_H
#define PEIL_CLI_RUN_OUTDIR_H

typedef struct {
  char *target;  /* the directory the user named */
  char *temp;    /* "<parent>/.<name>.peil-run-XXXXXX" while the run writes */
  int slot;      /* its peil_atomic_track_dir slot: removed on a signal */
} run_outdir;

/* Checks target (a directory or nothing, in a writable parent) and creates
 * the temporary directory. Errors name the path. */
int run_outdir_open(run_outdir *o, const char *target);
/* "<temp>/<file>" in buf. */
const char *run_outdir_path(const run_outdir *o, const char *file, char *buf, size_t len);
/* Puts the new directory in place of the target and removes the old one. */
int run_outdir_commit(run_outdir *o);
/* Removes a directory and everything in it (what it can). */
void run_remove_tree(const char *path);
/* Removes the temporary directory and everything in it. */
void run_outdir_abort(run_outdir *o);

#endif
