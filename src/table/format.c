/* Shared by the writers and disclosure control: numbers as text, a row's
 * label, and the check that a table may be written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../csv/csv_internal.h" /* csv_format_double: the shortest exact form */
#include "table_internal.h"

void rtable_format_number(const peil_rtable *t, size_t row, size_t col, int decimals, char *buf) {
  const rtable_col *c = &t->cols[col];
  if (c->def.type == PEIL_RTABLE_INTEGER) {
    snprintf(buf, 64, "%lld", (long long)c->v.i[row]);
    return;
  }
  double x = c->v.x[row];
  if (isinf(x)) {
    strcpy(buf, x < 0 ? "-Inf" : "Inf");
    return;
  }
  /* Fixed point would print hundreds of digits for 1e300: past 1e15 the
   * shortest exact form (with an exponent) is the readable one. */
  if (decimals < 0 || fabs(x) >= 1e15) {
    csv_format_double(x, 0, '.', buf);
    return;
  }
  snprintf(buf, 64, "%.*f", decimals, x);
  /* A value that rounds to zero prints without its sign: "0.0", not "-0.0". */
  if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)) memmove(buf, buf + 1, strlen(buf));
}

int rtable_published_decimals(const peil_rtable *t, size_t col) {
  const rtable_col *c = &t->cols[col];
  return c->def.role == PEIL_ROLE_SHARE && t->control.rounding > 0 ? c->def.decimals : -1;
}

char *rtable_row_label(const peil_rtable *t, size_t row) {
  size_t len = 0, nkeys = 0;
  char num[64];
  for (size_t j = 0; j < t->ncols; j++) {
    const rtable_col *c = &t->cols[j];
    if (c->def.role != PEIL_ROLE_KEY) continue;
    nkeys++;
    if (c->flags[row] & PEIL_CELL_NA) len += 2;
    else if (c->def.type == PEIL_RTABLE_TEXT) len += strlen(c->v.s[row]);
    else len += 21;
    len += 2;
  }
  if (!nkeys) {
    snprintf(num, sizeof num, "row %zu", row + 1);
    return strdup(num);
  }
  char *s = malloc(len + 1), *p = s;
  if (!s) return NULL;
  for (size_t j = 0; j < t->ncols; j++) {
    const rtable_col *c = &t->cols[j];
    if (c->def.role != PEIL_ROLE_KEY) continue;
    if (p != s) *p++ = ',', *p++ = ' ';
    const char *v = num;
    if (c->flags[row] & PEIL_CELL_NA) v = "NA";
    else if (c->def.type == PEIL_RTABLE_TEXT) v = c->v.s[row];
    else snprintf(num, sizeof num, "%lld", (long long)c->v.i[row]);
    size_t n = strlen(v);
    memcpy(p, v, n);
    p += n;
  }
  *p = '\0';
  return s;
}

void rtable_csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

int rtable_check_writable(const peil_rtable *t) {
  if (t->control.state == PEIL_RTABLE_UNCONTROLLED)
    return peil_error(PEIL_EINVAL,
                      "table %s has not been through disclosure control: apply it "
                      "(peil_disclosure_apply), or turn it off explicitly (rules.enabled = 0)",
                      t->name);
  if (!t->ncols) return peil_error(PEIL_EINVAL, "table %s has no columns", t->name);
  return PEIL_OK;
}
