/* Text -> values: integers, floats, booleans, dates; UTF-8 checks; the
 * missing-value tokens. These run once per field, so they avoid the C
 * library where it is slow or locale-dependent (strtod reads "1,5" under a
 * Dutch LC_NUMERIC): numbers are scanned here and only the rare float that
 * the exact fast path cannot handle goes to strtod_l in the C locale. */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"

/* Leading digits with optional '.' thousands groups (decimal ','): the
 * first group 1-3 digits, every later one exactly 3. Accumulates up to 19
 * significant digits into *m; *extra counts digits beyond those (for
 * floats: they scale by ten); *ndig all digits. Returns the bytes used, or
 * 0 when the grouping is wrong. */
static size_t scan_digits(const char *s, size_t n, int grouped, uint64_t *m, int *sig,
                          int *extra, int *ndig, int *trunc) {
  size_t i = 0;
  int group = 0, ngroups = 0;
  while (i < n) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (*sig < 19) {
        *m = *m * 10 + (uint64_t)(c - '0');
        if (*m) (*sig)++;
      } else {
        (*extra)++;
        if (c != '0') *trunc = 1;
      }
      (*ndig)++;
      group++;
      i++;
    } else if (grouped && c == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
      if ((ngroups == 0 && (group < 1 || group > 3)) || (ngroups > 0 && group != 3)) return 0;
      ngroups++;
      group = 0;
      i++;
    } else {
      break;
    }
  }
  if (ngroups > 0 && group != 3) return 0;
  return i;
}

int csv_parse_int(const char *s, size_t n, char decimal, int64_t *v) {
  size_t i = 0;
  int neg = 0;
  if (n && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', i = 1;
  if (i == n) return CSV_BAD;
  uint64_t m = 0;
  if (decimal == ',') {
    /* Rarely grouped: take the plain path unless a '.' occurs. */
    if (memchr(s + i, '.', n - i)) {
      int sig = 0, extra = 0, nd = 0, trunc = 0;
      size_t used = scan_digits(s + i, n - i, 1, &m, &sig, &extra, &nd, &trunc);
      if (used != n - i || nd == 0) return CSV_BAD;
      if (extra) return CSV_RANGE;
      goto range;
    }
  }
  for (; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) return CSV_BAD;
    if (m > (UINT64_MAX - d) / 10) {
      /* Still report "not an integer" for 1234567890123456789012x. */
      for (i++; i < n; i++)
        if ((unsigned)(unsigned char)s[i] - '0' > 9) return CSV_BAD;
      return CSV_RANGE;
    }
    m = m * 10 + d;
  }
range:
  if (neg) {
    if (m > (uint64_t)INT64_MAX + 1) return CSV_RANGE;
    *v = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
  } else {
    if (m > (uint64_t)INT64_MAX) return CSV_RANGE;
    *v = (int64_t)m;
  }
  return CSV_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Powers of ten that are exact doubles. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Powers of ten that are exact in a 64-bit significand (5^27 < 2^63). */
static const long double pow10_ld[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* Whether long double arithmetic really has a 64-bit significand here (x87;
 * not under valgrind, which computes it in double). */
static int ld_ok;
static void check_long_double(void) {
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
  volatile long double one = 1.0L, tiny = 0x1p-63L;
  ld_ok = (one + tiny) != one;
#endif
}
static pthread_once_t ld_once = PTHREAD_ONCE_INIT;
static inline int long_double_exact(void) {
  pthread_once(&ld_once, check_long_double);
  return ld_ok;
}

static int ieq(const char *s, size_t n, const char *word) {
  size_t k = strlen(word);
  if (n != k) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != word[i]) return 0;
  }
  return 1;
}

/* The slow path: a normalised copy ('.' decimal, no groups) to strtod_l. */
static int slow_float(const char *s, size_t n, char decimal, double *v) {
  char stack[128];
  char *b = n < sizeof stack ? stack : malloc(n + 1);
  if (!b) return CSV_BAD;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (decimal == ',' && c == '.') continue; /* grouping, checked by the caller */
    if (decimal == ',' && c == ',') c = '.';
    b[k++] = c;
  }
  b[k] = '\0';
  pthread_once(&c_locale_once, make_c_locale);
  char *end;
  errno = 0;
  double x = c_locale ? strtod_l(b, &end, c_locale) : strtod(b, &end);
  int ok = end == b + k;
  int overflow = errno == ERANGE && isinf(x);
  if (b != stack) free(b);
  if (!ok) return CSV_BAD;
  if (overflow) return CSV_RANGE;
  *v = x;
  return CSV_OK;
}

/* check_only: only whether s is a float (pass 1 needs no value): the value
 * is computed only when it might overflow. */
static int parse_float(const char *s, size_t n, char decimal, double *v, int check_only) {
  size_t i = 0;
  int neg = 0;
  if (n && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', i = 1;
  if (i == n) return CSV_BAD;
  char c0 = s[i];
  if (c0 < '0' || c0 > '9') {
    if (c0 != decimal) {
      if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
        *v = neg ? -INFINITY : INFINITY;
        return CSV_OK;
      }
      if (i == 0 && ieq(s, n, "nan")) {
        *v = NAN;
        return CSV_OK;
      }
      return CSV_BAD;
    }
  }
  uint64_t m = 0;
  int sig = 0, extra = 0, nd = 0, trunc = 0;
  size_t used = scan_digits(s + i, n - i, decimal == ',', &m, &sig, &extra, &nd, &trunc);
  if (used == 0 && s[i] != decimal) return CSV_BAD;
  i += used;
  int exp10 = extra;
  if (i < n && s[i] == decimal) {
    i++;
    for (; i < n; i++) {
      unsigned d = (unsigned)(unsigned char)s[i] - '0';
      if (d > 9) break;
      if (sig < 19) {
        m = m * 10 + d;
        if (m) sig++;
        exp10--;
      } else if (d) {
        trunc = 1;
      }
      nd++;
    }
  }
  if (nd == 0) return CSV_BAD;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    int eneg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i] == '-', i++;
    if (i == n) return CSV_BAD;
    int e = 0;
    for (; i < n; i++) {
      unsigned d = (unsigned)(unsigned char)s[i] - '0';
      if (d > 9) return CSV_BAD;
      if (e < 100000) e = e * 10 + (int)d;
    }
    exp10 += eneg ? -e : e;
  }
  if (i != n) return CSV_BAD;
  /* m < 10^19, so m * 10^exp10 < 10^308 when exp10 <= 288. */
  if (check_only && exp10 <= 288) return CSV_OK;
  /* Clinger's fast path: an exact mantissa times or over an exact power of
   * ten is one correctly rounded operation. */
  if (m <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
    double x = (double)m;
    x = exp10 < 0 ? x / pow10_exact[-exp10] : x * pow10_exact[exp10];
    *v = neg ? -x : x;
    return CSV_OK;
  }
  if (m == 0) {
    *v = neg ? -0.0 : 0.0;
    return CSV_OK;
  }
  /* 17 to 19 digits (a float printed to round-trip): exact in the 64-bit
   * significand of x87 long double, one rounding there, then to double.
   * That second rounding can only go wrong when the first result lies
   * exactly halfway between two doubles; those go to strtod. */
  if (!trunc && exp10 >= -27 && exp10 <= 27 && long_double_exact()) {
    long double x = (long double)m;
    x = exp10 < 0 ? x / pow10_ld[-exp10] : x * pow10_ld[exp10];
    uint64_t sig64;
    memcpy(&sig64, &x, sizeof sig64);
    if ((sig64 & 0x7FF) != 0x400) {
      *v = neg ? -(double)x : (double)x;
      return CSV_OK;
    }
  }
  return slow_float(s, n, decimal, v);
}

int csv_parse_float(const char *s, size_t n, char decimal, double *v) {
  return parse_float(s, n, decimal, v, 0);
}

int csv_check_float(const char *s, size_t n, char decimal) {
  double v;
  return parse_float(s, n, decimal, &v, 1);
}

int csv_parse_bool(const char *s, size_t n, int loose, int8_t *v) {
  static const char *const yes[] = {"true", "TRUE", "True", "yes", "YES", "Yes", "ja", "JA", "Ja"};
  static const char *const no[] = {"false", "FALSE", "False", "no", "NO", "No", "nee", "NEE", "Nee"};
  if (n > 5 || n == 0) return CSV_BAD;
  for (size_t k = 0; k < sizeof yes / sizeof yes[0]; k++) {
    if (strlen(yes[k]) == n && memcmp(yes[k], s, n) == 0) return *v = 1, CSV_OK;
    if (strlen(no[k]) == n && memcmp(no[k], s, n) == 0) return *v = 0, CSV_OK;
  }
  if (loose && n == 1) {
    if (s[0] == '1' || s[0] == 'T') return *v = 1, CSV_OK;
    if (s[0] == '0' || s[0] == 'F') return *v = 0, CSV_OK;
  }
  return CSV_BAD;
}

int csv_datefmt_compile(const char *p, csv_datefmt *f) {
  memset(f, 0, sizeof *f);
  int seen[3] = {0, 0, 0}; /* Y M D */
  while (*p) {
    char op = 'L', lit = 0;
    if (strncmp(p, "YYYY", 4) == 0) op = 'Y', p += 4;
    else if (strncmp(p, "%Y", 2) == 0) op = 'Y', p += 2;
    else if (strncmp(p, "MM", 2) == 0) op = 'M', p += 2;
    else if (strncmp(p, "%m", 2) == 0) op = 'm', p += 2;
    else if (strncmp(p, "DD", 2) == 0) op = 'D', p += 2;
    else if (strncmp(p, "%d", 2) == 0) op = 'd', p += 2;
    else if (*p == 'M') op = 'm', p++;
    else if (*p == 'D') op = 'd', p++;
    else lit = *p++;
    if (f->nops == (int)sizeof f->op) return PEIL_EINVAL;
    int k = op == 'Y' ? 0 : (op == 'M' || op == 'm') ? 1 : (op == 'D' || op == 'd') ? 2 : -1;
    if (k >= 0 && seen[k]++) return PEIL_EINVAL;
    f->op[f->nops] = op;
    f->lit[f->nops] = lit;
    f->nops++;
  }
  return seen[0] == 1 && seen[1] == 1 && seen[2] == 1 ? PEIL_OK : PEIL_EINVAL;
}

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

int csv_parse_date(const char *s, size_t n, const csv_datefmt *f, int32_t *days) {
  if (!f) return peil_date_parse(s, n, days) == PEIL_OK ? CSV_OK : CSV_BAD;
  int y = -1, m = -1, d = -1;
  size_t i = 0;
  for (int k = 0; k < f->nops; k++) {
    char op = f->op[k];
    if (op == 'L') {
      if (i >= n || s[i] != f->lit[k]) return CSV_BAD;
      i++;
      continue;
    }
    int want_min = op == 'Y' ? 4 : (op == 'M' || op == 'D') ? 2 : 1;
    int want_max = op == 'Y' ? 4 : 2;
    int v = 0, got = 0;
    while (got < want_max && i < n && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0'), got++;
    if (got < want_min) return CSV_BAD;
    if (op == 'Y') y = v;
    else if (op == 'M' || op == 'm') m = v;
    else d = v;
  }
  if (i != n || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return CSV_BAD;
  *days = peil_date_from_ymd(y, m, d);
  return CSV_OK;
}

int csv_utf8_valid(const char *str, size_t n, size_t *bad) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    /* ASCII runs (no NUL) eight bytes at a time. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if ((w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned c = s[i];
    if (c == 0) goto invalid; /* valid UTF-8, but no label can hold it */
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
    else goto invalid;
    if (i + len > n) goto invalid;
    unsigned cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) goto invalid;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto invalid;
    i += len;
  }
  return 1;
invalid:
  *bad = i;
  return 0;
}

void csv_show_value(const char *s, size_t n, char *buf, size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t k = 0;
  if (size < 8) {
    if (size) buf[0] = '\0';
    return;
  }
  buf[k++] = '\'';
  size_t i = 0;
  for (; i < n && k + 6 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != 0x7F && c < 0x80) {
      buf[k++] = (char)c;
    } else if (c >= 0x80) {
      /* Keep valid multi-byte characters, escape stray bytes. */
      size_t bad, len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
      if (len > 1 && i + len <= n && csv_utf8_valid(s + i, len, &bad) && k + len + 6 < size) {
        memcpy(buf + k, s + i, len);
        k += len;
        i += len - 1;
      } else {
        buf[k++] = '\\', buf[k++] = 'x', buf[k++] = hex[c >> 4], buf[k++] = hex[c & 15];
      }
    } else if (c == '\n') {
      buf[k++] = '\\', buf[k++] = 'n';
    } else {
      buf[k++] = '\\', buf[k++] = 'x', buf[k++] = hex[c >> 4], buf[k++] = hex[c & 15];
    }
  }
  if (i < n) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
  buf[k++] = '\'';
  buf[k] = '\0';
}

int csv_na_init(csv_na *na, const char *list) {
  memset(na, 0, sizeof *na);
  if (!list) list = "NA,.";
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    /* Spaces around tokens are not part of them (libcsv trims fields). */
    while (len && *p == ' ') p++, len--;
    while (len && p[len - 1] == ' ') len--;
    if (len) {
      if (na->n == sizeof na->tok / sizeof na->tok[0])
        return peil_error(PEIL_EINVAL, "too many missing-value tokens (at most 16)");
      if (len >= sizeof na->tok[0])
        return peil_error(PEIL_EINVAL, "missing-value token '%.*s' is too long (at most 31 bytes)",
                          (int)len, p);
      memcpy(na->tok[na->n], p, len);
      na->tok[na->n][len] = '\0';
      na->len[na->n] = (uint8_t)len;
      na->first[(unsigned char)p[0]] = 1;
      na->n++;
    }
    if (!e) break;
    p = e + 1;
  }
  return PEIL_OK;
}
