/* The streaming CSV reader: libcsv over chunks of the file, in parallel.
 *
 * Why chunks: a parser thread handing rows to a converting thread is
 * slower than one thread (every field crosses between the cores' caches).
 * Instead each worker reads a chunk of whole records, parses it with its
 * own libcsv parser and hands every field to the consumer straight from
 * libcsv's buffer, in the same thread: the text is never copied and never
 * leaves the core that parsed it.
 *
 * Chunk boundaries: a line end outside quotes. In strict CSV (quotes only
 * around whole fields, doubled inside them, which libcsv's CSV_STRICT
 * enforces) a position is outside quotes exactly when an even number of
 * quote characters precede it, so the boundary needs only a count, not a
 * parse. Input that breaks the rule is reported by the chunk holding the
 * first break; later chunks may then be misaligned, but the earliest
 * chunk's error is the one returned, as a single thread would find it.
 *
 * Line numbers: libcsv reports neither lines nor offsets, so the reader
 * counts them. A chunk's first line comes from counting line ends while
 * looking for the boundary; inside a chunk CSV_REPALL_NL makes libcsv report
 * every unquoted line end (also of blank lines) to the row callback, a
 * CR LF pair arriving as a row end for CR and an empty row for LF, counted
 * once; newlines inside quoted fields are counted from the field's bytes.
 *
 * Memory: per worker one chunk buffer, whatever the file's size; a chunk
 * grows past its nominal size only up to the next boundary. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_internal.h"

#define CHUNK_SIZE ((size_t)8 << 20)        /* nominal bytes per chunk */

/* Tests set tiny chunks to put boundaries everywhere (csv_internal.h). */
static size_t chunk_size = CHUNK_SIZE;
void csv_reader_test_chunk_size(size_t bytes) { chunk_size = bytes ? bytes : CHUNK_SIZE; }
#define CHUNK_MAX ((size_t)256 << 20)       /* longest record (memory stays bounded) */
#define MAX_WORKERS 16

struct csv_reader {
  char *path;
  int fd;
  int64_t bytes;     /* file size */
  char delimiter;
  char eol;          /* the line end that bounds chunks: '\n' ('\r' in CR-only files) */
  char **names;
  size_t ncols;
  int64_t data_start; /* offset of the first byte after the header row */
  int64_t data_line;  /* its line number */

  /* Dispatch of chunks, under mu. */
  pthread_mutex_t mu;
  int64_t next_start, next_line;
  size_t next_chunk;
  int stopped;        /* an error: no chunk after err_chunk is handed out */
  size_t err_chunk;
  int err;
  char errmsg[1024];
  int64_t nrows;
  /* The workers' chunk buffers, kept from pass to pass (fresh memory costs
   * a page fault per 4 kB, dear in a virtual machine). */
  char *wbuf[MAX_WORKERS];
  size_t wcap[MAX_WORKERS];
};

typedef struct {
  csv_reader *r;
  int id;
  struct csv_parser p;
  int parser_live;
  char *buf;         /* the chunk's bytes */
  size_t cap, len;
  size_t chunk;
  int quotes;        /* the chunk has quote characters (so fields may hold newlines) */
  /* Position in the chunk. */
  int64_t line, record_line;
  size_t nfield;
  int cr_pending;
  int64_t rows;
  /* The header row (csv_reader_open only). */
  int in_header;
  char **names;
  size_t nnames, names_cap;
  const csv_consumer *fn;
  void *ctx;
  /* This worker's first error: the message is per thread in peil, so the
   * text is kept here and raised by the caller's thread. */
  int err;
  char errmsg[1024];
} worker;

__attribute__((format(printf, 3, 4))) static void fail(worker *w, int code, const char *fmt, ...) {
  if (w->err) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
  va_end(ap);
  w->err = code;
}

/* Newlines inside a (quoted) field's bytes. */
static int64_t count_newlines(const char *s, size_t n) {
  int64_t k = 0;
  const char *e = s + n;
  while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
    k++;
    s++;
  }
  return k;
}

/* Trims spaces and tabs (libcsv keeps them inside quotes). */
static char *trimmed_copy(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  return strndup(s, n);
}

static void header_field(worker *w, const char *s, size_t n) {
  if (w->nnames == w->names_cap) {
    size_t cap = w->names_cap ? 2 * w->names_cap : 32;
    char **v = realloc(w->names, cap * sizeof *v);
    if (!v) {
      fail(w, PEIL_ENOMEM, "out of memory");
      return;
    }
    w->names = v;
    w->names_cap = cap;
  }
  char *name = trimmed_copy(s, n);
  if (!name) {
    fail(w, PEIL_ENOMEM, "out of memory");
    return;
  }
  w->names[w->nnames++] = name;
}

static void on_field(void *s, size_t n, void *data) {
  worker *w = data;
  if (w->err) return;
  csv_reader *r = w->r;
  if (w->nfield == 0) w->record_line = w->line;
  if (w->in_header) {
    header_field(w, s, n);
  } else if (w->nfield >= r->ncols) {
    if (w->nfield == r->ncols)
      fail(w, PEIL_EDATA,
           "%s:%lld: more fields than the header's %zu columns (a field after column '%s' (%zu)); "
           "a delimiter inside a value needs quotes",
           r->path, (long long)w->record_line, r->ncols, r->names[r->ncols - 1], r->ncols);
  } else {
    int rc = w->fn->field(w->ctx, w->id, w->nfield, s, n, w->line);
    if (rc) {
      fail(w, rc, "%s", peil_errmsg());
      return;
    }
  }
  if (w->quotes && n && memchr(s, '\n', n)) w->line += count_newlines(s, n);
  w->nfield++;
  w->cr_pending = 0;
}

static void on_row(int c, void *data) {
  worker *w = data;
  if (w->err) return;
  csv_reader *r = w->r;
  if (w->nfield == 0) {
    /* A blank line, or the LF of a CR LF pair. */
    if (c == '\n' && w->cr_pending) {
      w->cr_pending = 0;
      return;
    }
    if (c == '\n' || c == '\r') w->line++;
    w->cr_pending = c == '\r';
    return;
  }
  if (w->in_header) {
    w->in_header = 0;
  } else if (w->nfield < r->ncols) {
    fail(w, PEIL_EDATA,
         "%s:%lld: %zu field%s, the header has %zu columns (column '%s' (%zu) is missing)",
         r->path, (long long)w->record_line, w->nfield, w->nfield == 1 ? "" : "s", r->ncols,
         r->names[w->nfield], w->nfield + 1);
  } else if (w->nfield == r->ncols) {
    w->rows++;
    int rc = w->fn->row ? w->fn->row(w->ctx, w->id) : PEIL_OK;
    if (rc) fail(w, rc, "%s", peil_errmsg());
  }
  w->nfield = 0;
  if (c == '\n' || c == '\r') w->line++;
  w->cr_pending = c == '\r';
}

static void parse_error(worker *w) {
  csv_reader *r = w->r;
  int e = csv_error(&w->p);
  if (e == CSV_ENOMEM || e == CSV_ETOOBIG) {
    fail(w, PEIL_ENOMEM, "%s:%lld: out of memory (a field too long?)", r->path, (long long)w->line);
    return;
  }
  if (w->in_header) {
    fail(w, PEIL_EDATA, "%s:%lld: malformed quotes in the header row", r->path, (long long)w->line);
    return;
  }
  const char *col = w->nfield < r->ncols ? r->names[w->nfield] : "?";
  fail(w, PEIL_EDATA,
       "%s:%lld: column '%s' (%zu): malformed quotes: a quote inside an unquoted field, or "
       "text after a closing quote (quote a field whole and double quotes inside it: \"a \"\"b\"\"\")",
       r->path, (long long)w->line, col, w->nfield + 1);
}

static int parser_init(worker *w);

/* Parses buf[0, len): whole records, the last one possibly without its line
 * end (the end of the file). */
static void parse_chunk(worker *w) {
  if (csv_parse(&w->p, w->buf, w->len, on_field, on_row, w) != w->len && !w->err) parse_error(w);
  if (w->err) {
    /* A fresh parser for whatever comes next (csv_fini keeps a failed state). */
    csv_free(&w->p);
    w->parser_live = 0;
    parser_init(w);
    return;
  }
  /* Ends a last record without a line end; an open quote is an error. */
  int64_t start = w->nfield ? w->record_line : w->line;
  size_t field = w->nfield;
  if (csv_fini(&w->p, on_field, on_row, w) != 0 && !w->err) {
    csv_reader *r = w->r;
    if (w->in_header)
      fail(w, PEIL_EDATA, "%s:%lld: unterminated quoted field in the header row", r->path,
           (long long)start);
    else
      fail(w, PEIL_EDATA,
           "%s:%lld: column '%s' (%zu): unterminated quoted field: the quote opened here is "
           "not closed before the end of the file",
           r->path, (long long)start, field < r->ncols ? r->names[field] : "?", field + 1);
  }
}

static int parser_init(worker *w) {
  /* Strict: a stray quote is an error, not silently part of a value. */
  if (csv_init(&w->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0)
    return PEIL_ENOMEM;
  w->parser_live = 1;
  csv_set_delim(&w->p, (unsigned char)w->r->delimiter);
  csv_set_blk_size(&w->p, 4096);
  return PEIL_OK;
}

/* A chunk buffer of at least n bytes, in huge pages where the kernel
 * offers them (fewer faults and TLB misses). */
static char *chunk_buffer(char *old, size_t oldcap, size_t n) {
  char *p = peil_alloc_large(n, 1);
  if (!p) return NULL;
  if (old) memcpy(p, old, oldcap);
  free(old);
  return p;
}

static void worker_clear(worker *w) {
  if (w->parser_live) csv_free(&w->p);
  free(w->buf);
  for (size_t i = 0; i < w->nnames; i++) free(w->names[i]);
  free(w->names);
  memset(w, 0, sizeof *w);
}

/* Reads up to n bytes at off into buf; returns the count, -1 on error. */
static ssize_t read_at(csv_reader *r, char *buf, size_t n, int64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = pread(r->fd, buf + got, n - got, (off_t)(off + (int64_t)got));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return -1;
    if (k == 0) break;
    got += (size_t)k;
  }
  return (ssize_t)got;
}

/* Counts quote characters and line ends in s[0, n): 16 bytes at a time with
 * SSE2 (every x86-64 has it), else 8 at a time in a word; per-byte counters,
 * summed every 255 steps. */
#if defined(__x86_64__) && defined(__SSE2__)
static void count_bytes(const char *s, size_t n, char eol, uint64_t *quotes, uint64_t *eols) {
  const __m128i vq = _mm_set1_epi8('"'), ve = _mm_set1_epi8(eol), z = _mm_setzero_si128();
  uint64_t q = 0, e = 0;
  size_t i = 0;
  while (i + 16 <= n) {
    __m128i aq = z, ae = z;
    for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16) {
      __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
      aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(w, vq)); /* a match is -1 */
      ae = _mm_sub_epi8(ae, _mm_cmpeq_epi8(w, ve));
    }
    __m128i sq = _mm_sad_epu8(aq, z), se = _mm_sad_epu8(ae, z);
    q += (uint64_t)_mm_cvtsi128_si64(sq) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sq, sq));
    e += (uint64_t)_mm_cvtsi128_si64(se) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(se, se));
  }
  for (; i < n; i++) q += s[i] == '"', e += s[i] == eol;
  *quotes = q;
  *eols = e;
}
#else
static void count_bytes(const char *s, size_t n, char eol, uint64_t *quotes, uint64_t *eols) {
  const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  const uint64_t pq = ones * (unsigned char)'"', pe = ones * (unsigned char)eol;
  uint64_t q = 0, e = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t aq = 0, ae = 0;
    for (int k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      uint64_t xq = w ^ pq, xe = w ^ pe;
      /* high bit set in each byte that is zero (exact, no borrow across bytes) */
      aq += (~(((xq & low7) + low7) | xq) & high) >> 7;
      ae += (~(((xe & low7) + low7) | xe) & high) >> 7;
    }
    /* Sum the eight byte counters (each <= 255) through 16-bit lanes. */
    const uint64_t m16 = 0x00FF00FF00FF00FFULL, ones16 = 0x0001000100010001ULL;
    q += (((aq & m16) + ((aq >> 8) & m16)) * ones16) >> 48;
    e += (((ae & m16) + ((ae >> 8) & m16)) * ones16) >> 48;
  }
  for (; i < n; i++) q += s[i] == '"', e += s[i] == eol;
  *quotes = q;
  *eols = e;
}
#endif

/* Claims the next chunk into w->buf (under r->mu). 0 = none left. */
static int claim(worker *w) {
  csv_reader *r = w->r;
  if (r->next_start >= r->bytes || (r->stopped && r->next_chunk > r->err_chunk)) return 0;
  int64_t start = r->next_start;
  w->chunk = r->next_chunk; /* errors while reading belong to this chunk */
  size_t want = chunk_size;
  if ((int64_t)want > r->bytes - start) want = (size_t)(r->bytes - start);
  if (w->cap < want) {
    char *b = chunk_buffer(w->buf, 0, want);
    if (!b) return fail(w, PEIL_ENOMEM, "out of memory"), -1;
    w->buf = b;
    w->cap = want;
  }
  ssize_t got = read_at(r, w->buf, want, start);
  if (got < 0) return fail(w, PEIL_EIO, "reading %s: %s", r->path, strerror(errno)), -1;
  size_t n = (size_t)got, end = n;
  uint64_t quotes, eols;
  count_bytes(w->buf, n, r->eol, &quotes, &eols);
  if (start + (int64_t)n < r->bytes) {
    /* Back from the end to the last line end outside quotes. */
    int odd = (int)(quotes & 1);
    size_t i = n;
    uint64_t tail_eols = 0;
    while (i > 0) {
      char c = w->buf[i - 1];
      if (c == r->eol && !odd) break;
      if (c == '"') odd = !odd;
      if (c == r->eol) tail_eols++;
      i--;
    }
    if (i > 0) {
      end = i;
      eols -= tail_eols;
    } else {
      /* No boundary in the chunk: one record longer than it. Read on. */
      odd = (int)(quotes & 1);
      for (;;) {
        if (end == w->cap) {
          if (w->cap >= CHUNK_MAX)
            return fail(w, PEIL_EDATA,
                        "%s:%lld: a record does not end within %zu MB (a quote that is never "
                        "closed?)",
                        r->path, (long long)r->next_line, CHUNK_MAX >> 20), -1;
          size_t cap = w->cap * 2 > CHUNK_MAX ? CHUNK_MAX : w->cap * 2;
          char *b = chunk_buffer(w->buf, end, cap);
          if (!b) return fail(w, PEIL_ENOMEM, "out of memory"), -1;
          w->buf = b;
          w->cap = cap;
        }
        got = read_at(r, w->buf + end, w->cap - end, start + (int64_t)end);
        if (got < 0) return fail(w, PEIL_EIO, "reading %s: %s", r->path, strerror(errno)), -1;
        if (got == 0) break;
        size_t i2 = end, stop = end + (size_t)got;
        for (; i2 < stop; i2++) {
          char c = w->buf[i2];
          if (c == '"') odd = !odd;
          else if (c == r->eol) {
            eols++;
            if (!odd) {
              i2++;
              break;
            }
          }
        }
        end = i2;
        if (i2 < stop || (end > 0 && w->buf[end - 1] == r->eol && !odd)) break;
      }
    }
  }
  w->len = end;
  w->quotes = quotes > 0 || end > n; /* (a chunk read on past n is counted as quoted) */
  r->next_chunk++;
  w->line = r->next_line;
  r->next_start = start + (int64_t)end;
  r->next_line += (int64_t)eols;
  if (w->fn && w->fn->progress) w->fn->progress(w->ctx, r->next_start - r->data_start, r->bytes - r->data_start);
  return 1;
}

/* Records a worker's error if it is the earliest so far. */
static void report(csv_reader *r, worker *w) {
  if (!w->err) return;
  if (!r->stopped || w->chunk < r->err_chunk) {
    r->stopped = 1;
    r->err_chunk = w->chunk;
    r->err = w->err;
    memcpy(r->errmsg, w->errmsg, sizeof r->errmsg);
  }
  w->err = 0;
}

static void *work(void *arg) {
  worker *w = arg;
  csv_reader *r = w->r;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    report(r, w);
    int got = claim(w);
    if (got < 0) report(r, w);
    pthread_mutex_unlock(&r->mu);
    if (got <= 0) break;
    w->nfield = 0;
    w->cr_pending = 0;
    int rc = w->parser_live ? PEIL_OK : peil_error(PEIL_ENOMEM, "out of memory");
    if (!rc && w->fn->chunk_begin) rc = w->fn->chunk_begin(w->ctx, w->id, w->chunk);
    if (rc) fail(w, rc, "%s", peil_errmsg());
    if (!w->err) parse_chunk(w);
    if (!w->err && w->fn->chunk_done) {
      rc = w->fn->chunk_done(w->ctx, w->id, w->chunk);
      if (rc) fail(w, rc, "%s", peil_errmsg());
    }
    /* Consumers that wait on other chunks must stop waiting for this one. */
    if (w->err && w->fn->chunk_failed) w->fn->chunk_failed(w->ctx, w->id, w->chunk);
  }
  pthread_mutex_lock(&r->mu);
  report(r, w);
  r->nrows += w->rows;
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static int validate_header(csv_reader *r, int64_t line) {
  for (size_t j = 0; j < r->ncols; j++) {
    const char *nm = r->names[j];
    size_t bad;
    if (!nm[0])
      return peil_error(PEIL_EDATA, "%s:%lld: column %zu has an empty name in the header row%s",
                        r->path, (long long)line, j + 1,
                        j + 1 == r->ncols ? " (a delimiter at the end of the line?)" : "");
    if (!csv_utf8_valid(nm, strlen(nm), &bad)) {
      char show[128];
      csv_show_value(nm, strlen(nm), show, sizeof show);
      return peil_error(PEIL_EDATA,
                        "%s:%lld: column %zu: the name %s has a byte that is not UTF-8 (0x%02X at "
                        "byte %zu); convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                        r->path, (long long)line, j + 1, show, (unsigned char)nm[bad], bad + 1);
    }
    if (strchr(nm, '/') || strcmp(nm, ".") == 0)
      return peil_error(PEIL_EDATA,
                        "%s:%lld: column %zu: the name '%s' cannot name a column (no '/', not '.')",
                        r->path, (long long)line, j + 1, nm);
    for (size_t i = 0; i < j; i++)
      if (strcmp(r->names[i], nm) == 0)
        return peil_error(PEIL_EDATA, "%s:%lld: duplicate column name '%s' (columns %zu and %zu)",
                          r->path, (long long)line, nm, i + 1, j + 1);
  }
  return PEIL_OK;
}

/* Picks the delimiter from the header line: the most frequent of , ; tab |
 * outside quotes (',' when none occurs). */
static char sniff_delimiter(const char *s, size_t n) {
  static const char cand[] = {',', ';', '\t', '|'};
  size_t count[4] = {0};
  int quoted = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '"') quoted = !quoted;
    else if (!quoted && (c == '\n' || c == '\r')) break;
    else if (!quoted)
      for (int k = 0; k < 4; k++) count[k] += c == cand[k];
  }
  int best = 0;
  for (int k = 1; k < 4; k++)
    if (count[k] > count[best]) best = k;
  return cand[best];
}

/* Reads the header row: chunk by chunk (each ending at a line end outside
 * quotes) until one holds a record, so no data row is parsed with it. */
static int read_header(csv_reader *r) {
  worker w = {0};
  w.r = r;
  w.in_header = 1;
  w.line = 1;
  w.quotes = 1;
  int rc = parser_init(&w);
  if (rc) return peil_error(rc, "out of memory");
  int64_t pos = r->data_start;
  while (w.in_header && !w.err && pos < r->bytes) {
    /* One line (or quoted run of lines) at a time. */
    r->next_start = pos;
    r->next_line = w.line;
    if (claim(&w) <= 0) break;
    size_t end = 0;
    int odd = 0;
    for (; end < w.len; end++) {
      char c = w.buf[end];
      if (c == '"') odd = !odd;
      else if (c == r->eol && !odd) {
        end++;
        break;
      }
    }
    w.len = end;
    parse_chunk(&w);
    pos += (int64_t)end;
  }
  if (!w.err && w.in_header && w.nnames == 0)
    fail(&w, PEIL_EDATA, "%s: the file is empty: a header row with the column names is required",
         r->path);
  if (w.err) {
    rc = peil_error(w.err, "%s", w.errmsg);
    worker_clear(&w);
    return rc;
  }
  r->names = w.names;
  r->ncols = w.nnames;
  w.names = NULL;
  w.nnames = 0;
  r->wbuf[0] = w.buf, r->wcap[0] = w.cap; /* for the first worker */
  w.buf = NULL;
  rc = validate_header(r, w.record_line);
  r->data_start = pos;
  r->data_line = w.line;
  worker_clear(&w);
  return rc;
}

int csv_reader_open(const char *path, char delimiter, csv_reader **out) {
  *out = NULL;
  csv_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&r->mu, NULL);
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  int rc = PEIL_OK;
  struct stat st;
  if (r->fd < 0) {
    int e = errno;
    rc = peil_error(e == ENOENT ? PEIL_ENOTFOUND : PEIL_EIO, "cannot read %s: %s", path, strerror(e));
  } else if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = peil_error(PEIL_EINVAL, "%s: not a regular file (import reads the file twice)", path);
  }
  if (rc) {
    csv_reader_close(r);
    return rc;
  }
  r->bytes = (int64_t)st.st_size;
  posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  char head[65536];
  ssize_t n = read_at(r, head, sizeof head, 0);
  if (n < 0) rc = peil_error(PEIL_EIO, "reading %s: %s", path, strerror(errno));
  size_t skip = n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  if (!rc) {
    r->delimiter = delimiter ? delimiter : sniff_delimiter(head + skip, (size_t)n - skip);
    /* Line ends: LF (also CR LF); a file with CRs and no LF at all in its
     * first 64 kB is taken to use CR alone (old Mac exports). */
    r->eol = memchr(head, '\n', (size_t)n) || !memchr(head, '\r', (size_t)n) ? '\n' : '\r';
    r->data_start = (int64_t)skip;
    rc = read_header(r);
  }
  if (rc) {
    csv_reader_close(r);
    return rc;
  }
  *out = r;
  return PEIL_OK;
}

size_t csv_reader_ncols(const csv_reader *r) { return r->ncols; }
const char *const *csv_reader_names(const csv_reader *r) { return (const char *const *)r->names; }
char csv_reader_delimiter(const csv_reader *r) { return r->delimiter; }
const char *csv_reader_path(const csv_reader *r) { return r->path; }
int64_t csv_reader_bytes(const csv_reader *r) { return r->bytes; }
int64_t csv_reader_rows(const csv_reader *r) { return r->nrows; }

int csv_reader_workers(const csv_reader *r, int threads) {
  long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > MAX_WORKERS) n = MAX_WORKERS;
  /* No more workers than chunks. */
  int64_t chunks = (r->bytes - r->data_start) / (int64_t)chunk_size + 1;
  if (n > chunks) n = (long)chunks;
  return (int)n;
}

int csv_reader_run(csv_reader *r, int nworkers, const csv_consumer *fn, void *ctx) {
  if (nworkers < 1) nworkers = 1;
  if (nworkers > MAX_WORKERS) nworkers = MAX_WORKERS;
  r->next_start = r->data_start;
  r->next_line = r->data_line;
  r->next_chunk = 0;
  r->stopped = 0;
  r->err = 0;
  r->nrows = 0;
  worker w[MAX_WORKERS];
  pthread_t th[MAX_WORKERS];
  int started[MAX_WORKERS] = {0};
  int rc = PEIL_OK;
  memset(w, 0, sizeof w);
  for (int i = 0; i < nworkers && !rc; i++) {
    w[i].r = r;
    w[i].id = i;
    w[i].buf = r->wbuf[i], w[i].cap = r->wcap[i];
    r->wbuf[i] = NULL;
    w[i].fn = fn;
    w[i].ctx = ctx;
    if (parser_init(&w[i])) rc = peil_error(PEIL_ENOMEM, "out of memory");
  }
  for (int i = 1; i < nworkers && !rc; i++) started[i] = pthread_create(&th[i], NULL, work, &w[i]) == 0;
  if (!rc) work(&w[0]);
  for (int i = 1; i < nworkers; i++)
    if (started[i]) pthread_join(th[i], NULL);
  for (int i = 0; i < nworkers; i++) {
    r->wbuf[i] = w[i].buf, r->wcap[i] = w[i].cap; /* for the next pass */
    w[i].buf = NULL;
    worker_clear(&w[i]);
  }
  if (rc) return rc;
  if (r->stopped) return peil_error(r->err, "%s", r->errmsg);
  return PEIL_OK;
}

void csv_reader_close(csv_reader *r) {
  if (!r) return;
  for (int i = 0; i < MAX_WORKERS; i++) free(r->wbuf[i]);
  if (r->fd >= 0) close(r->fd);
  for (size_t j = 0; j < r->ncols; j++) free(r->names[j]);
  free(r->names);
  free(r->path);
  pthread_mutex_destroy(&r->mu);
  free(r);
}
