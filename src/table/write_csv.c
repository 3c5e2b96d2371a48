/* A result table as CSV: RFC 4180 quoting, full precision, "NA" for a
 * missing cell, an empty field for a suppressed one and a last column
 * `suppressed` naming the row's suppressed columns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

int peil_rtable_write_csv(const peil_rtable *t, FILE *f) {
  int rc = rtable_check_writable(t);
  if (rc) return rc;
  for (size_t j = 0; j < t->ncols; j++) {
    rtable_csv_field(f, t->cols[j].name);
    fputc(',', f);
  }
  fputs("suppressed\n", f);
  char num[64];
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t j = 0; j < t->ncols; j++) {
      const rtable_col *c = &t->cols[j];
      unsigned fl = c->flags[r];
      if (fl & PEIL_CELL_SUPPRESSED) {
        /* empty: the value is not published */
      } else if (fl & PEIL_CELL_NA) {
        fputs("NA", f);
      } else if (c->def.type == PEIL_RTABLE_TEXT) {
        rtable_csv_field(f, c->v.s[r]);
      } else {
        rtable_format_number(t, r, j, rtable_published_decimals(t, j), num);
        fputs(num, f);
      }
      fputc(',', f);
    }
    /* The names of the suppressed columns, ';'-separated: one field. */
    size_t len = 0;
    for (size_t j = 0; j < t->ncols; j++)
      if (t->cols[j].flags[r] & PEIL_CELL_SUPPRESSED) len += strlen(t->cols[j].name) + 1;
    if (len) {
      char *list = malloc(len), *p = list;
      if (!list) return peil_error(PEIL_ENOMEM, "out of memory");
      for (size_t j = 0; j < t->ncols; j++)
        if (t->cols[j].flags[r] & PEIL_CELL_SUPPRESSED) {
          if (p != list) *p++ = ';';
          size_t n = strlen(t->cols[j].name);
          memcpy(p, t->cols[j].name, n);
          p += n;
        }
      *p = '\0';
      rtable_csv_field(f, list);
      free(list);
    }
    fputc('\n', f);
  }
  if (ferror(f)) return peil_error(PEIL_EIO, "writing table %s as CSV: %s", t->name, strerror(errno));
  return PEIL_OK;
}
