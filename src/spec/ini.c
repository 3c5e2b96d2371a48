/* Reading INI spec files with inih: line numbers, continuation lines, and
 * no silent truncation of long lines. */
#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peil/spec.h"

struct reader {
  peil_spec_file *f;
  FILE *fp;
  int line;          /* of the line inih is handling */
  int continuation;  /* that line starts with white space: it continues a value */
  int err;
  char msg[300];
};

static int add_section(peil_spec_file *f, const char *name, size_t len, int line) {
  char **s = realloc(f->sections, (f->nsections + 1) * sizeof *s);
  if (!s) return PEIL_ENOMEM;
  f->sections = s;
  int *l = realloc(f->section_line, (f->nsections + 1) * sizeof *l);
  if (!l) return PEIL_ENOMEM;
  f->section_line = l;
  while (len && isspace((unsigned char)name[len - 1])) len--;
  while (len && isspace((unsigned char)*name)) name++, len--;
  if (!(s[f->nsections] = strndup(name, len))) return PEIL_ENOMEM;
  l[f->nsections++] = line;
  return PEIL_OK;
}

/* inih reads through this one line per call, so we know the line number,
 * whether it is a continuation, and where sections start (inih does not
 * report sections without keys). */
static char *read_line(char *str, int num, void *stream) {
  struct reader *r = stream;
  if (r->err) return NULL;
  char *s = fgets(str, num, r->fp);
  if (!s) return NULL;
  r->line++;
  size_t len = strlen(s);
  if (len == (size_t)num - 1 && s[len - 1] != '\n' && !feof(r->fp)) {
    r->err = PEIL_EINVAL;
    snprintf(r->msg, sizeof r->msg,
             "line longer than %d characters: wrap a long value onto indented lines", num - 2);
    return NULL;
  }
  r->continuation = len > 0 && (s[0] == ' ' || s[0] == '\t');
  const char *p = s;
  while (isspace((unsigned char)*p)) p++;
  if (*p == '[') {
    const char *close = strchr(p, ']');
    if (close && add_section(r->f, p + 1, (size_t)(close - p - 1), r->line)) {
      r->err = PEIL_ENOMEM;
      snprintf(r->msg, sizeof r->msg, "out of memory");
      return NULL;
    }
  }
  return s;
}

static int on_entry(void *user, const char *section, const char *key, const char *value) {
  struct reader *r = user;
  peil_spec_file *f = r->f;
  if (r->continuation && f->n > 0) {
    peil_spec_entry *e = &f->entries[f->n - 1];
    if (strcmp(e->key, key) == 0 && strcmp(e->section, section) == 0) {
      size_t a = strlen(e->value), b = strlen(value);
      char *v = realloc((char *)e->value, a + b + 2);
      if (!v) goto oom;
      v[a] = ' ';
      memcpy(v + a + 1, value, b + 1);
      e->value = v;
      return 1;
    }
  }
  peil_spec_entry *v = realloc(f->entries, (f->n + 1) * sizeof *v);
  if (!v) goto oom;
  f->entries = v;
  peil_spec_entry *e = &v[f->n];
  e->section = strdup(section);
  e->key = strdup(key);
  e->value = strdup(value);
  e->line = r->line;
  f->n++;
  if (!e->section || !e->key || !e->value) goto oom;
  return 1;
oom:
  r->err = PEIL_ENOMEM;
  snprintf(r->msg, sizeof r->msg, "out of memory");
  return 0;
}

int peil_spec_read(const char *path, peil_spec_file **out) {
  *out = NULL;
  peil_spec_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) {
    free(f);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  FILE *fp = fopen(path, "r");
  if (!fp) {
    peil_spec_file_free(f);
    return peil_error(PEIL_ENOTFOUND, "cannot read spec %s", path);
  }
  struct reader r = {f, fp, 0, 0, 0, ""};
  int line = ini_parse_stream(read_line, &r, on_entry, &r);
  fclose(fp);
  int rc = PEIL_OK;
  if (r.err)
    rc = peil_error(r.err, "%s:%d: %s", path, r.line, r.msg);
  else if (line != 0)
    rc = peil_error(PEIL_EINVAL, "%s:%d: not INI syntax (expected [section] or key = value)", path,
                    line);
  if (rc) {
    peil_spec_file_free(f);
    return rc;
  }
  *out = f;
  return PEIL_OK;
}

void peil_spec_file_free(peil_spec_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) {
    free((char *)f->entries[i].section);
    free((char *)f->entries[i].key);
    free((char *)f->entries[i].value);
  }
  for (size_t i = 0; i < f->nsections; i++) free(f->sections[i]);
  free(f->sections);
  free(f->section_line);
  free(f->entries);
  free(f->path);
  free(f);
}

void peil_spec_section_split(const char *section, char *type, size_t ntype, char *name,
                             size_t nname) {
  while (isspace((unsigned char)*section)) section++;
  size_t t = 0;
  while (section[t] && !isspace((unsigned char)section[t])) t++;
  snprintf(type, ntype, "%.*s", (int)t, section);
  const char *p = section + t;
  while (isspace((unsigned char)*p)) p++;
  size_t len = strlen(p);
  while (len && isspace((unsigned char)p[len - 1])) len--;
  snprintf(name, nname, "%.*s", (int)len, p);
}

int peil_spec_split_list(const char *value, const char *what, char ***items, size_t *n) {
  *items = NULL;
  *n = 0;
  size_t cap = 1;
  for (const char *p = value; *p; p++) cap += *p == ',';
  char **v = calloc(cap + 1, sizeof *v);
  if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
  const char *p = value;
  size_t k = 0;
  for (;;) {
    const char *comma = strchr(p, ',');
    const char *e = comma ? comma : p + strlen(p);
    const char *b = p;
    while (b < e && isspace((unsigned char)*b)) b++;
    const char *t = e;
    while (t > b && isspace((unsigned char)t[-1])) t--;
    if (t == b) {
      peil_spec_list_free(v);
      return peil_error(PEIL_EINVAL, "%s: empty item in the list '%s'", what, value);
    }
    if (!(v[k++] = strndup(b, (size_t)(t - b)))) {
      peil_spec_list_free(v);
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    if (!comma) break;
    p = comma + 1;
  }
  *items = v;
  *n = k;
  return PEIL_OK;
}

void peil_spec_list_free(char **items) {
  if (!items) return;
  for (char **p = items; *p; p++) free(*p);
  free(items);
}
