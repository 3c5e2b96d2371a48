/* Civil dates <-> days since 1970-01-01 (proleptic Gregorian calendar).
 * The conversions are Howard Hinnant's public-domain "days_from_civil"
 * algorithms: exact for every int32 day count, no tables, no locale. */
#include <string.h>

#include "peil/core.h"


int32_t peil_date_from_ymd(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2u) / 5u + (unsigned)d - 1u;
  const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
  return (int32_t)(era * 146097 + (int)doe - 719468);
}

void peil_date_to_ymd(int32_t days, int *y, int *m, int *d) {
  const int z = days + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
  const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
  const unsigned mp = (5u * doy + 2u) / 153u;
  *d = (int)(doy - (153u * mp + 2u) / 5u + 1u);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

/* Parses exactly `ndig` digits at s; returns -1 if any is not a digit. */
static int digits(const char *s, int ndig) {
  int v = 0;
  for (int i = 0; i < ndig; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int peil_date_parse(const char *s, size_t len, int32_t *days) {
  int y, m, d;
  if (len != 10) return PEIL_EDATA;
  if (s[4] == '-' && s[7] == '-') { /* YYYY-MM-DD */
    y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
  } else if (s[2] == '-' && s[5] == '-') { /* DD-MM-YYYY */
    d = digits(s, 2), m = digits(s + 3, 2), y = digits(s + 6, 4);
  } else {
    return PEIL_EDATA;
  }
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return PEIL_EDATA;
  *days = peil_date_from_ymd(y, m, d);
  return PEIL_OK;
}

int peil_month_parse(const char *s, int32_t *first_day) {
  size_t len = strlen(s);
  int y, m, d;
  int32_t day;
  if (len == 7 && s[4] == '-') {
    y = digits(s, 4), m = digits(s + 5, 2);
    if (y < 0 || m < 1 || m > 12) return PEIL_EDATA;
  } else if (peil_date_parse(s, len, &day) == PEIL_OK) {
    peil_date_to_ymd(day, &y, &m, &d);
  } else {
    return PEIL_EDATA;
  }
  *first_day = peil_date_from_ymd(y, m, 1);
  return PEIL_OK;
}

void peil_date_format(int32_t days, char *buf) {
  int y, m, d;
  peil_date_to_ymd(days, &y, &m, &d);
  /* Years outside 0..9999 do not occur in registers; clamp so the text
   * always has the fixed width readers expect. */
  unsigned yy = y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y;
  buf[0] = (char)('0' + yy / 1000), buf[1] = (char)('0' + yy / 100 % 10);
  buf[2] = (char)('0' + yy / 10 % 10), buf[3] = (char)('0' + yy % 10);
  buf[4] = '-', buf[5] = (char)('0' + m / 10), buf[6] = (char)('0' + m % 10);
  buf[7] = '-', buf[8] = (char)('0' + d / 10), buf[9] = (char)('0' + d % 10);
  buf[10] = '\0';
}

int32_t peil_date_add_months(int32_t days, int months) {
  int y, m, d;
  peil_date_to_ymd(days, &y, &m, &d);
  int total = y * 12 + (m - 1) + months;
  int ny = total >= 0 ? total / 12 : (total - 11) / 12;
  int nm = total - ny * 12 + 1;
  int dim = days_in_month(ny, nm);
  return peil_date_from_ymd(ny, nm, d > dim ? dim : d);
}
