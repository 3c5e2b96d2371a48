/* peil run: manifest.json, report.md, disclosure_audit.csv (run_manifest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <nettle/sha2.h>

#include "cli.h"
#include "run_manifest.h"

int run_sha256_file(const char *path, char hex[65]) {
  FILE *f = fopen(path, "rb");
  if (!f) return peil_error(PEIL_EIO, "cannot read '%s': %s", path, strerror(errno));
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  static unsigned char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&ctx, got, buf);
  int bad = ferror(f);
  fclose(f);
  if (bad) return peil_error(PEIL_EIO, "reading '%s' failed", path);
  unsigned char d[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return PEIL_OK;
}

static json_t *utc(long long epoch) {
  time_t t = (time_t)epoch;
  struct tm tm;
  char buf[32];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return json_string(buf);
}

static json_t *store_json(const run_plan *p) {
  json_t *o = json_object();
  json_object_set_new(o, "path", json_string(p->store_path));
  struct stat st;
  if (stat(p->store_path, &st) == 0) json_object_set_new(o, "bytes", json_integer((json_int_t)st.st_size));
  char hex[65];
  if (run_sha256_file(p->store_path, hex) == 0) json_object_set_new(o, "sha256", json_string(hex));
  peil_store *s = NULL;
  peil_attr *attrs = NULL;
  size_t n = 0;
  if (peil_store_open(p->store_path, PEIL_STORE_READ, &s) == 0 && peil_store_list_attrs(s, NULL, &attrs, &n) == 0) {
    json_t *a = json_object();
    for (size_t i = 0; i < n; i++) json_object_set_new(a, attrs[i].key, json_string(attrs[i].value));
    json_object_set_new(o, "attributes", a);
    peil_attrs_free(attrs, n);
  }
  peil_store_close(s);
  return o;
}

static json_t *rules_json(const peil_disclosure_rules *r) {
  if (!r->enabled) return json_string("off (--no-disclosure-control)");
  json_t *o = json_object();
  json_object_set_new(o, "min_cell", json_integer(r->min_cell));
  json_object_set_new(o, "rounding", r->rounding ? json_integer(r->rounding) : json_string("none"));
  json_object_set_new(o, "zero_cells", json_string(r->zero_cells == PEIL_ZERO_CELLS_SMALL ? "small" : "safe"));
  return o;
}

/* Appends file `from` to stream `to`, without its first `skip` lines. */
static int append_file(FILE *to, const char *from, int skip) {
  FILE *f = fopen(from, "r");
  if (!f) return peil_error(PEIL_EIO, "cannot read '%s': %s", from, strerror(errno));
  int c, line = 0;
  while ((c = getc(f)) != EOF) {
    if (line >= skip) putc(c, to);
    if (c == '\n') line++;
  }
  fclose(f);
  return ferror(to) ? peil_error(PEIL_EIO, "writing failed") : PEIL_OK;
}

/* One output file, atomically, filled by fill(). */
static int write_out(const run_env *env, const char *name, int (*fill)(FILE *, void *), void *ctx) {
  char path[4096];
  run_file(path, sizeof path, env->outdir, "", name, "");
  peil_atomic_file *af = NULL;
  int rc = peil_atomic_open(path, &af);
  if (rc) return rc;
  rc = fill(peil_atomic_stream(af), ctx);
  if (rc) {
    peil_atomic_abort(af);
    return rc;
  }
  return peil_atomic_commit(af);
}

typedef struct {
  const run_plan *p;
  const run_env *env;
  const run_info *info;
  json_t **summary; /* per section */
} finish_ctx;

static int fill_audit(FILE *f, void *ctx) {
  const finish_ctx *x = ctx;
  fputs("table,row,column,rule\n", f);
  int rc = PEIL_OK;
  for (size_t k = 0; !rc && k < x->p->n; k++) {
    char path[4096];
    rc = append_file(f, run_file(path, sizeof path, x->env->outdir, ".audit-", x->p->sections[k].name, ".csv"), 1);
  }
  return rc;
}

static int fill_report(FILE *f, void *ctx) {
  const finish_ctx *x = ctx;
  const run_plan *p = x->p;
  fprintf(f, "# peil run: %s\n\n", x->info->spec_path);
  fprintf(f, "peil %s; store `%s`; ", peil_version(), p->store_path);
  if (x->env->rules.enabled)
    fprintf(f, "disclosure control: cells and estimates on fewer than %lld persons suppressed%s%s.\n\n",
            (long long)x->env->rules.min_cell, x->env->rules.rounding ? ", counts rounded to " : "",
            x->env->rules.rounding == 5 ? "5" : x->env->rules.rounding == 10 ? "10" : "");
  else
    fprintf(f, "**disclosure control: off** (--no-disclosure-control): not for publication.\n\n");
  int rc = PEIL_OK;
  for (size_t k = 0; !rc && k < p->n; k++) {
    const run_section *s = &p->sections[k];
    fprintf(f, "## [%s]\n\n", s->section);
    json_t *tables = json_object_get(x->summary[k], "tables");
    for (size_t i = 0; !rc && i < json_array_size(tables); i++) {
      char path[4096];
      rc = append_file(f, run_file(path, sizeof path, x->env->outdir, "", json_string_value(json_array_get(tables, i)), ".md"), 0);
      fputc('\n', f);
    }
  }
  return rc;
}

static int fill_manifest(FILE *f, void *ctx) {
  const finish_ctx *x = ctx;
  const run_plan *p = x->p;
  json_t *doc = json_object();
  json_object_set_new(doc, "peil_version", json_string(peil_version()));
  json_t *cmd = json_array();
  for (int i = 0; i < x->info->argc; i++) json_array_append_new(cmd, json_string(x->info->argv[i]));
  json_object_set_new(doc, "command", cmd);
  json_t *spec = json_object();
  json_object_set_new(spec, "path", json_string(x->info->spec_path));
  char hex[65];
  if (run_sha256_file(x->info->spec_path, hex) == 0) json_object_set_new(spec, "sha256", json_string(hex));
  json_object_set_new(doc, "spec", spec);
  json_object_set_new(doc, "store", store_json(p));
  json_object_set_new(doc, "disclosure_control", rules_json(&x->env->rules));
  json_object_set_new(doc, "started", utc(x->info->started_epoch));
  json_object_set_new(doc, "finished", utc(x->info->started_epoch + (long long)(x->info->finished - x->info->started)));
  json_object_set_new(doc, "seconds", json_real(x->info->finished - x->info->started));
  json_object_set_new(doc, "jobs", json_integer(x->info->jobs));
  json_t *secs = json_array();
  for (size_t k = 0; k < p->n; k++) json_array_append(secs, x->summary[k]);
  json_object_set_new(doc, "sections", secs);
  int rc = json_dumpf(doc, f, JSON_INDENT(2)) ? peil_error(PEIL_EIO, "writing manifest.json failed") : PEIL_OK;
  fputc('\n', f);
  json_decref(doc);
  return rc;
}

int run_finish(const run_plan *p, const run_env *env, const run_info *info) {
  finish_ctx x = {p, env, info, calloc(p->n ? p->n : 1, sizeof(json_t *))};
  if (!x.summary) return peil_error(PEIL_ENOMEM, "out of memory");
  int rc = PEIL_OK;
  for (size_t k = 0; !rc && k < p->n; k++) {
    char path[4096];
    json_error_t err;
    run_file(path, sizeof path, env->outdir, ".section-", p->sections[k].name, ".json");
    if (!(x.summary[k] = json_load_file(path, 0, &err)))
      rc = peil_error(PEIL_EIO, "cannot read '%s': %s", path, err.text);
  }
  if (!rc) rc = write_out(env, "disclosure_audit.csv", fill_audit, &x);
  if (!rc) rc = write_out(env, "report.md", fill_report, &x);
  if (!rc) rc = write_out(env, "manifest.json", fill_manifest, &x);
  for (size_t k = 0; k < p->n; k++) {
    char path[4096];
    remove(run_file(path, sizeof path, env->outdir, ".section-", p->sections[k].name, ".json"));
    remove(run_file(path, sizeof path, env->outdir, ".audit-", p->sections[k].name, ".csv"));
    json_decref(x.summary[k]);
  }
  free(x.summary);
  return rc;
}
