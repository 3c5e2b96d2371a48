/* peil run's output directory (run_outdir.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "run_outdir.h"

int run_outdir_open(run_outdir *o, const char *target) {
  memset(o, 0, sizeof *o);
  o->slot = -1;
  struct stat st;
  if (stat(target, &st) == 0 && !S_ISDIR(st.st_mode))
    return peil_error(PEIL_EINVAL, "output directory '%s' is a file", target);
  char *a = strdup(target), *b = strdup(target);
  if (!a || !b || !(o->target = strdup(target))) {
    free(a), free(b);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  const char *parent = dirname(a), *name = basename(b);
  size_t len = strlen(parent) + strlen(name) + 32;
  int rc = PEIL_OK;
  if (access(parent, W_OK | X_OK) != 0)
    rc = peil_error(PEIL_EINVAL, "cannot write the output directory '%s': %s: %s", target, parent, strerror(errno));
  else if (!(o->temp = malloc(len)))
    rc = peil_error(PEIL_ENOMEM, "out of memory");
  else {
    snprintf(o->temp, len, "%s/.%s.peil-run-XXXXXX", parent, name);
    if (!mkdtemp(o->temp)) {
      rc = peil_error(PEIL_EIO, "cannot create a directory beside '%s': %s", target, strerror(errno));
      free(o->temp), o->temp = NULL;
    } else
      o->slot = peil_atomic_track_dir(o->temp); /* a signal removes it (main.c) */
  }
  free(a), free(b);
  if (rc) free(o->target), o->target = NULL;
  return rc;
}

const char *run_outdir_path(const run_outdir *o, const char *file, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", o->temp, file);
  return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

void run_remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int run_outdir_commit(run_outdir *o) {
  int rc = PEIL_OK;
  /* mkdtemp's directory is private (0700); the output is as any new directory. */
  mode_t mask = umask(0);
  umask(mask);
  chmod(o->temp, 0777 & ~mask);
  if (rename(o->temp, o->target) == 0) {
    /* there was no output yet, or an empty directory */
  } else if ((errno == EEXIST || errno == ENOTEMPTY) &&
             renameat2(AT_FDCWD, o->temp, AT_FDCWD, o->target, RENAME_EXCHANGE) == 0) {
    run_remove_tree(o->temp); /* now the old output */
  } else {
    rc = peil_error(PEIL_EIO, "cannot put the output in place at '%s': %s", o->target, strerror(errno));
    run_remove_tree(o->temp);
  }
  /* Tracked until here: a signal during the removal of the old output
   * finishes it rather than leaving a hidden directory. */
  peil_atomic_untrack_dir(o->slot);
  free(o->temp), free(o->target);
  o->temp = o->target = NULL;
  return rc;
}

void run_outdir_abort(run_outdir *o) {
  if (o->temp) run_remove_tree(o->temp);
  peil_atomic_untrack_dir(o->slot);
  free(o->temp), free(o->target);
  o->temp = o->target = NULL;
}
