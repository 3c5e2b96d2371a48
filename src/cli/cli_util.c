/* Helpers shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_quiet = 0;
int cli_progress = 0;

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "peil %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'peil %s --help'.\n", cmd);
  return 2;
}

int cli_fail(const char *cmd, int status) {
  const char *msg = peil_errmsg();
  fprintf(stderr, "peil %s: error: %s\n", cmd, msg[0] ? msg : peil_strerror(status));
  return peil_exit_code(status);
}

void cli_note(const char *fmt, ...) {
  if (cli_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

int cli_show_progress(void) {
  if (cli_quiet) return 0;
  return cli_progress || isatty(STDERR_FILENO);
}

void cli_progress_persons(void *arg, int64_t done, int64_t total) {
  cli_progress_line *p = arg;
  int pct = total > 0 ? (int)(100 * done / total) : 100;
  if (pct == p->last) return;
  p->last = pct;
  fprintf(stderr, "\rpeil %s: %3d%% of the persons", p->cmd, pct);
  fflush(stderr);
}

void cli_progress_done(const cli_progress_line *p) {
  if (p->last >= 0) fprintf(stderr, "\r\033[K"); /* clear the progress line */
}

int cli_output_open(cli_output *o, const char *path) {
  o->atomic = NULL;
  o->fp = stdout;
  if (!path || strcmp(path, "-") == 0) return PEIL_OK;
  int rc = peil_atomic_open(path, &o->atomic);
  if (rc) return rc;
  o->fp = peil_atomic_stream(o->atomic);
  if (!o->fp) {
    peil_atomic_abort(o->atomic);
    o->atomic = NULL;
    return peil_error(PEIL_EIO, "cannot write '%s'", path);
  }
  return PEIL_OK;
}

int cli_output_close(cli_output *o, int commit) {
  if (!o->atomic) {
    if (fflush(stdout) != 0) return peil_error(PEIL_EIO, "writing standard output: %s", strerror(errno));
    return PEIL_OK;
  }
  peil_atomic_file *a = o->atomic;
  o->atomic = NULL;
  if (!commit) {
    peil_atomic_abort(a);
    return PEIL_OK;
  }
  return peil_atomic_commit(a);
}

int cli_parse_long(const char *s, long long *v) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *v = x;
  return 0;
}

int cli_parse_csv_char(const char *s, char *c) {
  if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) return *c = '\t', 0;
  if (strcmp(s, "comma") == 0) return *c = ',', 0;
  if (strcmp(s, "semicolon") == 0) return *c = ';', 0;
  if (strcmp(s, "pipe") == 0) return *c = '|', 0;
  if (strlen(s) == 1) return *c = s[0], 0;
  return -1;
}

int cli_parse_delimiter(const char *cmd, const char *arg, char *c) {
  if (cli_parse_csv_char(arg, c))
    return cli_usage(cmd, "--delimiter takes one character (or 'tab'), not '%s'", arg);
  return 0;
}

int cli_parse_decimal(const char *cmd, const char *arg, char *c) {
  if (cli_parse_csv_char(arg, c) || (*c != '.' && *c != ','))
    return cli_usage(cmd, "--decimal takes '.' or ',', not '%s'", arg);
  return 0;
}

json_t *cli_json_real(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *cli_json_strings(char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
  return a;
}

int cli_json_write(FILE *fp, json_t *doc) {
  int rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ? PEIL_EIO : PEIL_OK;
  fputc('\n', fp);
  json_decref(doc);
  return rc ? peil_error(rc, "writing JSON failed") : PEIL_OK;
}

char **cli_split_list(const char *s, size_t *n) {
  size_t cap = 1;
  for (const char *p = s; *p; p++) cap += *p == ',';
  char **v = calloc(cap + 1, sizeof *v);
  if (!v) return NULL;
  size_t k = 0;
  const char *p = s;
  for (;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    while (len && (*p == ' ')) p++, len--;
    while (len && p[len - 1] == ' ') len--;
    if (len) v[k++] = strndup(p, len);
    if (!e) break;
    p = e + 1;
  }
  *n = k;
  return v;
}

void cli_free_list(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

const char *cli_count(int64_t v, char *buf) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
  char *p = buf;
  if (v < 0) *p++ = '-';
  for (int i = 0; i < n; i++) {
    *p++ = tmp[i];
    if ((n - i - 1) % 3 == 0 && i < n - 1) *p++ = ',';
  }
  *p = '\0';
  return buf;
}

int cli_parse_threads(const char *cmd, const char *arg, int *threads) {
  long long v;
  if (cli_parse_long(arg, &v) || v < 1 || v > 1024)
    return cli_usage(cmd, "--threads must be a whole number from 1 to 1024, not '%s'", arg);
  *threads = (int)v;
  return 0;
}

int cli_data_open(const char *path, const char *table, const peil_csv_options *csv, cli_data *in) {
  memset(in, 0, sizeof *in);
  if (access(path, R_OK) != 0) return peil_error(PEIL_ENOTFOUND, "%s: no such file", path);
  if (peil_store_is_hdf5(path)) {
    int rc = peil_store_open(path, PEIL_STORE_READ, &in->store);
    if (rc) return rc;
    if (table) {
      if (!peil_store_has_table(in->store, table))
        return peil_error(PEIL_ENOTFOUND, "%s: no table '%s'", path, table);
      in->table = strdup(table);
      return PEIL_OK;
    }
    char **names = NULL;
    size_t n = 0;
    if ((rc = peil_store_list_tables(in->store, &names, &n))) return rc;
    if (n == 1) in->table = strdup(names[0]);
    else {
      char list[512] = "";
      size_t used = 0;
      for (size_t i = 0; i < n && used < sizeof list - 64; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
      rc = peil_error(PEIL_EINVAL, "%s has %zu tables (%s): choose one with --table", path, n, list);
    }
    peil_strings_free(names, n);
    return rc;
  }
  /* CSV: import into a store beside the system's temporary files that is
   * discarded on close (and on a signal). */
  const char *tmp = getenv("TMPDIR");
  char spath[4096];
  snprintf(spath, sizeof spath, "%s/peil-csv-%d.h5", tmp && *tmp ? tmp : "/tmp", (int)getpid());
  int rc = peil_store_open(spath, PEIL_STORE_CREATE, &in->store);
  if (rc) return rc;
  in->temporary = 1;
  in->table = strdup(table ? table : "data");
  return peil_csv_import(path, csv, in->store, in->table, NULL);
}

void cli_data_close(cli_data *in) {
  peil_store_close(in->store); /* never committed: a CSV's store disappears */
  free(in->table);
}
