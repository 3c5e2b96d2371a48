/* The writers to paths, atomically: each file is written to a temporary
 * beside its target and renamed into place only when complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

typedef int (*rtable_writer)(const peil_rtable *t, FILE *f);

/* Opens the atomic files, writes each, and commits them only when every
 * one was written: a failed write leaves none of them behind. */
static int save_files(const peil_rtable *t, const char *const *paths, const rtable_writer *write,
                      size_t n) {
  int rc = rtable_check_writable(t);
  if (rc) return rc;
  peil_atomic_file *af[3] = {NULL, NULL, NULL};
  for (size_t k = 0; !rc && k < n; k++) {
    if ((rc = peil_atomic_open(paths[k], &af[k]))) break;
    FILE *f = peil_atomic_stream(af[k]);
    if (!f) rc = peil_error(PEIL_EIO, "%s: cannot open for writing", paths[k]);
    else if ((rc = write[k](t, f))) peil_error_prefix(rc, "%s: ", paths[k]);
  }
  for (size_t k = 0; k < n; k++) {
    if (rc) peil_atomic_abort(af[k]);
    else {
      int c = peil_atomic_commit(af[k]);
      if (c && !rc) rc = c;
    }
  }
  return rc;
}

int peil_rtable_save_csv(const peil_rtable *t, const char *path) {
  rtable_writer w = peil_rtable_write_csv;
  return save_files(t, &path, &w, 1);
}

int peil_rtable_save_json(const peil_rtable *t, const char *path) {
  rtable_writer w = peil_rtable_write_json;
  return save_files(t, &path, &w, 1);
}

int peil_rtable_save_markdown(const peil_rtable *t, const char *path) {
  rtable_writer w = peil_rtable_write_markdown;
  return save_files(t, &path, &w, 1);
}

int peil_rtable_save(const peil_rtable *t, const char *dir) {
  if (!dir || !*dir) return peil_error(PEIL_EINVAL, "table %s: no output directory given", t->name);
  static const char *ext[3] = {"csv", "json", "md"};
  const rtable_writer w[3] = {peil_rtable_write_csv, peil_rtable_write_json, peil_rtable_write_markdown};
  size_t len = strlen(dir) + strlen(t->name) + 8;
  char *buf = malloc(3 * len);
  if (!buf) return peil_error(PEIL_ENOMEM, "out of memory");
  const char *paths[3];
  int slash = dir[strlen(dir) - 1] == '/';
  for (int k = 0; k < 3; k++) {
    snprintf(buf + k * len, len, "%s%s%s.%s", dir, slash ? "" : "/", t->name, ext[k]);
    paths[k] = buf + k * len;
  }
  int rc = save_files(t, paths, w, 3);
  free(buf);
  return rc;
}
