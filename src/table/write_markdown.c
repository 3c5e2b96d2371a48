/* A result table as Markdown: a heading, a pipe table padded so that it
 * also reads as plain text (numbers right-aligned, reals to the column's
 * decimals so the points line up), "x" for a suppressed cell and "." for a
 * missing one (CBS's signs), and the notes as a list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

/* Characters on screen: UTF-8 continuation bytes take no column. */
static size_t display_width(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

/* Text for a cell of a pipe table: '|' escaped, line breaks as spaces. */
static char *md_escape(const char *s) {
  size_t n = 0;
  for (const char *p = s; *p; p++) n += *p == '|' ? 2 : 1;
  char *d = malloc(n + 1), *q = d;
  if (!d) return NULL;
  for (; *s; s++) {
    if (*s == '|') *q++ = '\\';
    *q++ = (*s == '\n' || *s == '\r') ? ' ' : *s;
  }
  *q = '\0';
  return d;
}

/* Writes s, then pad spaces; right-aligned puts the spaces first. */
static void put_padded(FILE *f, const char *s, size_t width, int right) {
  size_t w = display_width(s), pad = width > w ? width - w : 0;
  if (right)
    for (size_t k = 0; k < pad; k++) fputc(' ', f);
  fputs(s, f);
  if (!right)
    for (size_t k = 0; k < pad; k++) fputc(' ', f);
}

/* A line of text (title, note) with line breaks as spaces. */
static void put_line(FILE *f, const char *s) {
  for (; *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static char *cell_text(const peil_rtable *t, size_t r, size_t j, int *na) {
  const rtable_col *c = &t->cols[j];
  unsigned fl = c->flags[r];
  if (fl & PEIL_CELL_SUPPRESSED) return strdup("x");
  if (fl & PEIL_CELL_NA) {
    *na = 1;
    return strdup(".");
  }
  if (c->def.type == PEIL_RTABLE_TEXT) return md_escape(c->v.s[r]);
  char num[64];
  rtable_format_number(t, r, j, c->def.type == PEIL_RTABLE_REAL ? c->def.decimals : 0, num);
  return strdup(num);
}

int peil_rtable_write_markdown(const peil_rtable *t, FILE *f) {
  int rc = rtable_check_writable(t);
  if (rc) return rc;
  size_t nc = t->ncols, nr = t->nrows, ncell = nr * nc;
  char **cell = calloc(ncell + nc, sizeof *cell), **head = cell + ncell;
  size_t *width = calloc(nc, sizeof *width);
  int na = 0;
  if (!cell || !width) rc = PEIL_ENOMEM;
  for (size_t j = 0; !rc && j < nc; j++) {
    if (!(head[j] = md_escape(t->cols[j].name))) rc = PEIL_ENOMEM;
    else width[j] = display_width(head[j]) < 3 ? 3 : display_width(head[j]);
  }
  for (size_t r = 0; !rc && r < nr; r++)
    for (size_t j = 0; !rc && j < nc; j++) {
      char *s = cell[r * nc + j] = cell_text(t, r, j, &na);
      if (!s) rc = PEIL_ENOMEM;
      else if (display_width(s) > width[j]) width[j] = display_width(s);
    }
  if (!rc) {
    fputs("### ", f);
    put_line(f, *t->title ? t->title : t->name);
    fputs("\n\n|", f);
    for (size_t j = 0; j < nc; j++) {
      fputc(' ', f);
      put_padded(f, head[j], width[j], t->cols[j].def.type != PEIL_RTABLE_TEXT);
      fputs(" |", f);
    }
    fputs("\n|", f);
    for (size_t j = 0; j < nc; j++) {
      int right = t->cols[j].def.type != PEIL_RTABLE_TEXT;
      fputs(right ? " " : " :", f);
      for (size_t k = 1; k < width[j]; k++) fputc('-', f);
      fputs(right ? ": |" : " |", f);
    }
    fputc('\n', f);
    for (size_t r = 0; r < nr; r++) {
      fputc('|', f);
      for (size_t j = 0; j < nc; j++) {
        fputc(' ', f);
        put_padded(f, cell[r * nc + j], width[j], t->cols[j].def.type != PEIL_RTABLE_TEXT);
        fputs(" |", f);
      }
      fputc('\n', f);
    }
    if (t->nnotes || na) fputc('\n', f);
    for (size_t k = 0; k < t->nnotes; k++) {
      fputs("- ", f);
      put_line(f, t->notes[k]);
      fputc('\n', f);
    }
    if (na) fputs("- .: not available\n", f);
  }
  for (size_t k = 0; cell && k < ncell + nc; k++) free(cell[k]);
  free(cell), free(width);
  if (rc) return peil_error(rc, "out of memory");
  if (ferror(f)) return peil_error(PEIL_EIO, "writing table %s as Markdown: %s", t->name, strerror(errno));
  return PEIL_OK;
}
