/* The import schema: an INI file read with inih (docs/csv-import.md).
 *
 *   [columns]              name = type, one line per column
 *   [<column name>]        type = ..., levels = a, b, c, format = DD-MM-YYYY
 *
 * Level lists are parsed as one CSV record (libcsv), so a label with a comma
 * can be quoted: levels = "Den Haag, centrum", Utrecht. inih continues a
 * value on indented lines; those add to the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <ini.h>

#include "csv_internal.h"

struct load {
  csv_schema *s;
  FILE *f;
  int line; /* of the entry being handled: inih's handler is not told */
  int err;
  char msg[512];
  char last_section[256], last_key[64]; /* for inih's continuation lines */
};

static csv_schema_col *get_col(csv_schema *s, const char *name) {
  csv_schema_col *c = csv_schema_find(s, name);
  if (c) return c;
  csv_schema_col *v = realloc(s->cols, (s->ncols + 1) * sizeof *v);
  if (!v) return NULL;
  s->cols = v;
  c = &v[s->ncols];
  memset(c, 0, sizeof *c);
  c->type = -1;
  if (!(c->name = strdup(name))) return NULL;
  s->ncols++;
  return c;
}

/* inih reads through this, one line per call, so the line is known. */
static char *read_line(char *str, int num, void *stream) {
  struct load *L = stream;
  char *r = fgets(str, num, L->f);
  if (r) L->line++;
  return r;
}

static int set_type(struct load *L, csv_schema_col *c, const char *value) {
  int t = peil_type_from_name(value);
  if (t < 0 && strcmp(value, "float") == 0) t = PEIL_FLOAT64;
  if (t < 0) {
    L->err = PEIL_EINVAL;
    snprintf(L->msg, sizeof L->msg,
             "column '%s': unknown type '%s' (int8, int16, int32, int64, float32, float64, date, "
             "bool, enum)",
             c->name, value);
    return 0;
  }
  if (c->type >= 0 && c->type != t) {
    L->err = PEIL_EINVAL;
    snprintf(L->msg, sizeof L->msg, "column '%s': two different types, %s and %s", c->name,
             peil_type_name((peil_type)c->type), peil_type_name((peil_type)t));
    return 0;
  }
  c->type = t;
  return 1;
}

struct level_list {
  csv_schema_col *c;
  int oom;
};

static void level_field(void *s, size_t n, void *data) {
  struct level_list *l = data;
  if (l->oom) return;
  /* libcsv keeps spaces inside quotes only; an empty entry (a, , b) is skipped. */
  if (n == 0) return;
  char **v = realloc(l->c->levels, (l->c->nlevels + 1) * sizeof *v);
  if (!v || !(v[l->c->nlevels] = strndup(s, n))) {
    if (v) l->c->levels = v;
    l->oom = 1;
    return;
  }
  l->c->levels = v;
  l->c->nlevels++;
}

static int add_levels(struct load *L, csv_schema_col *c, const char *value) {
  struct csv_parser p;
  struct level_list l = {c, 0};
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) goto oom;
  size_t n = strlen(value);
  int bad = csv_parse(&p, value, n, level_field, NULL, &l) != n;
  bad = bad || csv_fini(&p, level_field, NULL, &l) != 0;
  csv_free(&p);
  if (l.oom) goto oom;
  if (bad) {
    L->err = PEIL_EINVAL;
    snprintf(L->msg, sizeof L->msg, "column '%s': malformed quotes in the levels list", c->name);
    return 0;
  }
  return 1;
oom:
  L->err = PEIL_ENOMEM;
  snprintf(L->msg, sizeof L->msg, "out of memory");
  return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value) {
  struct load *L = user;
  if (L->err) return 0;
  csv_schema *s = L->s;
  /* inih calls again with the same name for a continuation line. */
  int continued = strcmp(section, L->last_section) == 0 && strcmp(name, L->last_key) == 0;
  snprintf(L->last_section, sizeof L->last_section, "%s", section);
  snprintf(L->last_key, sizeof L->last_key, "%s", name);
  if (!section[0]) {
    L->err = PEIL_EINVAL;
    snprintf(L->msg, sizeof L->msg, "'%s' outside a section: put it under [columns] or [%s]", name,
             name);
    return 0;
  }
  csv_schema_col *c;
  if (strcmp(section, "columns") == 0) {
    if (!(c = get_col(s, name))) goto oom;
    if (!c->line) c->line = L->line;
    if (continued) {
      L->err = PEIL_EINVAL;
      snprintf(L->msg, sizeof L->msg, "column '%s': a type is one word", name);
      return 0;
    }
    return set_type(L, c, value);
  }
  if (!(c = get_col(s, section))) goto oom;
  if (!c->line) c->line = L->line;
  if (strcmp(name, "type") == 0) return set_type(L, c, value);
  if (strcmp(name, "levels") == 0) {
    if (c->nlevels && !continued) {
      L->err = PEIL_EINVAL;
      snprintf(L->msg, sizeof L->msg, "column '%s': levels given twice", c->name);
      return 0;
    }
    return add_levels(L, c, value);
  }
  if (strcmp(name, "format") == 0) {
    free(c->format);
    if (!(c->format = strdup(value))) goto oom;
    if (csv_datefmt_compile(value, &c->datefmt)) {
      L->err = PEIL_EINVAL;
      snprintf(L->msg, sizeof L->msg,
               "column '%s': date format '%s' needs YYYY, MM (or M) and DD (or D) once each, "
               "e.g. DD-MM-YYYY or YYYYMMDD",
               c->name, value);
      return 0;
    }
    return 1;
  }
  L->err = PEIL_EINVAL;
  snprintf(L->msg, sizeof L->msg, "column '%s': unknown key '%s' (type, levels, format)", section,
           name);
  return 0;
oom:
  L->err = PEIL_ENOMEM;
  snprintf(L->msg, sizeof L->msg, "out of memory");
  return 0;
}

/* Checks that need the whole file: levels only for enums, formats only for
 * dates, a type for every column, no duplicate levels. */
static int check(csv_schema *s) {
  for (size_t i = 0; i < s->ncols; i++) {
    csv_schema_col *c = &s->cols[i];
    if (c->type < 0 && c->nlevels) c->type = PEIL_ENUM;
    if (c->type < 0 && c->format) c->type = PEIL_DATE;
    if (c->type < 0)
      return peil_error(PEIL_EINVAL, "%s:%d: column '%s' has no type", s->path, c->line, c->name);
    if (c->nlevels && c->type != PEIL_ENUM)
      return peil_error(PEIL_EINVAL, "%s:%d: column '%s': levels are for enum columns, not %s",
                        s->path, c->line, c->name, peil_type_name((peil_type)c->type));
    if (c->format && c->type != PEIL_DATE)
      return peil_error(PEIL_EINVAL, "%s:%d: column '%s': a format is for date columns, not %s",
                        s->path, c->line, c->name, peil_type_name((peil_type)c->type));
    for (size_t a = 0; a < c->nlevels; a++) {
      size_t bad;
      if (!csv_utf8_valid(c->levels[a], strlen(c->levels[a]), &bad))
        return peil_error(PEIL_EINVAL, "%s:%d: column '%s': level %zu is not UTF-8", s->path,
                          c->line, c->name, a + 1);
      for (size_t b = 0; b < a; b++)
        if (strcmp(c->levels[a], c->levels[b]) == 0)
          return peil_error(PEIL_EINVAL, "%s:%d: column '%s': level '%s' is listed twice", s->path,
                            c->line, c->name, c->levels[a]);
    }
  }
  return PEIL_OK;
}

int csv_schema_load(const char *path, csv_schema **out) {
  *out = NULL;
  csv_schema *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  FILE *f = fopen(path, "r");
  if (!f) {
    csv_schema_free(s);
    return peil_error(PEIL_ENOTFOUND, "cannot read schema %s", path);
  }
  struct load L = {s, f, 0, 0, "", "", ""};
  int line = ini_parse_stream(read_line, &L, on_entry, &L);
  fclose(f);
  int rc = PEIL_OK;
  if (line != 0) {
    if (L.err)
      rc = peil_error(L.err, "%s:%d: %s", path, line, L.msg);
    else
      rc = peil_error(PEIL_EINVAL, "%s:%d: not INI syntax (expected [section] or name = value)",
                      path, line);
  }
  if (!rc) rc = check(s);
  if (rc) {
    csv_schema_free(s);
    return rc;
  }
  *out = s;
  return PEIL_OK;
}

void csv_schema_free(csv_schema *s) {
  if (!s) return;
  for (size_t i = 0; i < s->ncols; i++) {
    csv_schema_col *c = &s->cols[i];
    free(c->name);
    for (size_t k = 0; k < c->nlevels; k++) free(c->levels[k]);
    free(c->levels);
    free(c->format);
  }
  free(s->cols);
  free(s->path);
  free(s);
}

csv_schema_col *csv_schema_find(csv_schema *s, const char *name) {
  for (size_t i = 0; i < s->ncols; i++)
    if (strcmp(s->cols[i].name, name) == 0) return &s->cols[i];
  return NULL;
}
