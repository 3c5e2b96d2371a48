/* The streaming CSV reader: libcsv fed from large read(2) buffers, data rows
 * copied into batches of up to PEIL_BLOCK_ROWS rows.
 *
 * Why batches: they let the caller convert column by column (one switch per
 * column and batch, not per field), and let a helper thread parse batch k+1
 * while the caller converts and writes batch k. Memory is a fixed number of
 * batches, whatever the file's size.
 *
 * Line numbers: libcsv reports neither lines nor offsets, so the reader
 * counts them itself. CSV_REPALL_NL makes libcsv report every unquoted line
 * end (also those of blank lines) to the row callback; a CR LF pair arrives
 * as a row end for CR followed by an empty "row" for LF, which is not
 * counted twice. Newlines inside quoted fields are counted from the field's
 * bytes. */
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

#include "csv_internal.h"

#define READ_SIZE ((size_t)4 << 20)  /* bytes per read(2) */
#define HEADER_STEP 4096             /* bytes parsed at a time until the header is read */
#define TEXT_SOFT_CAP ((size_t)32 << 20) /* a batch ends early past this much text */
#define NBATCH 3                     /* one being filled, one being used, one spare */

struct csv_reader {
  char *path;
  int fd;
  struct csv_parser parser;
  int parser_live;
  char delimiter;
  int64_t bytes;  /* file size */

  char *buf;      /* the current read */
  size_t buf_len, buf_pos;
  int eof;
  int finished; /* csv_fini called */

  /* header */
  int in_header;
  char **names;
  size_t ncols, names_cap;

  /* position */
  int64_t line;        /* physical line at the parser's position */
  int64_t record_line; /* line on which the current record started */
  size_t nfield;       /* fields of the current record so far */
  int cr_pending;      /* the last row ended with CR: a following LF is its pair */
  int64_t nrows;       /* data rows completed */

  /* batches */
  csv_batch batch[NBATCH];
  csv_batch *cur;

  /* hand-off to the consumer */
  int threaded;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  csv_batch *full[NBATCH];  /* FIFO of filled batches */
  size_t nfull, full_head;
  csv_batch *free_[NBATCH];
  size_t nfree;
  int done;   /* producer finished (end of file or error) */
  int stop;   /* consumer asks the producer to stop */
  csv_batch_fn fn;
  void *ctx;
  int fn_rc;  /* single-threaded: the consumer's status */

  /* The producer's error. It may run in another thread, and peil's message
   * is per thread, so the text is kept here and raised by the caller. */
  int err;
  char errmsg[1024];
};

__attribute__((format(printf, 3, 4))) static void fail(csv_reader *r, int code, const char *fmt,
                                                       ...) {
  if (r->err) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
  va_end(ap);
  r->err = code;
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

int64_t csv_field_line(const csv_batch *b, size_t row, size_t col) {
  int64_t line = b->line[row];
  for (size_t j = 0; j < col; j++) {
    size_t n;
    const char *s = csv_field(b, row, j, &n);
    if (memchr(s, '\n', n)) line += count_newlines(s, n);
  }
  return line;
}

static size_t csv_batch_rows(void) {
  const char *e = getenv("PEIL_CSV_BATCH");
  return e ? (size_t)atol(e) : 8192;
}

static void batch_free(csv_batch *b) {
  free(b->off);
  free(b->len);
  free(b->line);
  free(b->text);
  memset(b, 0, sizeof *b);
}

static int batch_alloc(csv_batch *b, size_t ncols) {
  b->ncols = ncols;
  b->rows_cap = csv_batch_rows();
  b->off = malloc(b->rows_cap * ncols * sizeof *b->off);
  b->len = malloc(b->rows_cap * ncols * sizeof *b->len);
  b->line = malloc(b->rows_cap * sizeof *b->line);
  b->cap = (size_t)1 << 20;
  b->text = malloc(b->cap);
  b->nrows = b->used = 0;
  return b->off && b->len && b->line && b->text ? PEIL_OK : PEIL_ENOMEM;
}

/* Room for n more bytes of text in the current batch. */
static int text_reserve(csv_reader *r, csv_batch *b, size_t n) {
  if (b->used + n <= b->cap) return 1;
  size_t cap = b->cap;
  while (cap < b->used + n) cap *= 2;
  /* Offsets are 32-bit: a batch ends well before, except for a field this long. */
  if (cap > UINT32_MAX) {
    fail(r, PEIL_EDATA, "%s:%lld: a field longer than 2 GB", r->path, (long long)r->record_line);
    return 0;
  }
  char *t = realloc(b->text, cap);
  if (!t) {
    fail(r, PEIL_ENOMEM, "out of memory reading %s", r->path);
    return 0;
  }
  b->text = t;
  b->cap = cap;
  return 1;
}

/* Trims spaces and tabs (libcsv keeps them inside quotes). */
static char *trimmed_copy(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  return strndup(s, n);
}

static void header_field(csv_reader *r, const char *s, size_t n) {
  if (r->ncols == r->names_cap) {
    size_t cap = r->names_cap ? 2 * r->names_cap : 32;
    char **v = realloc(r->names, cap * sizeof *v);
    if (!v) {
      fail(r, PEIL_ENOMEM, "out of memory");
      return;
    }
    r->names = v;
    r->names_cap = cap;
  }
  char *name = trimmed_copy(s, n);
  if (!name) {
    fail(r, PEIL_ENOMEM, "out of memory");
    return;
  }
  r->names[r->ncols++] = name;
}

static void handoff(csv_reader *r);

static void on_field(void *s, size_t n, void *data) {
  csv_reader *r = data;
  if (r->err || r->stop) return;
  if (r->nfield == 0) r->record_line = r->line;
  if (r->in_header) {
    header_field(r, s, n);
  } else if (r->nfield >= r->ncols) {
    if (r->nfield == r->ncols) /* report once per row */
      fail(r, PEIL_EDATA,
           "%s:%lld: more fields than the header's %zu columns (a field after column '%s' (%zu)); "
           "a delimiter inside a value needs quotes",
           r->path, (long long)r->record_line, r->ncols, r->names[r->ncols - 1], r->ncols);
  } else {
    csv_batch *b = r->cur;
    if (!text_reserve(r, b, n + 1)) return;
    size_t k = b->nrows * r->ncols + r->nfield;
    b->off[k] = (uint32_t)b->used;
    b->len[k] = (uint32_t)n;
    memcpy(b->text + b->used, s, n);
    b->text[b->used + n] = '\0';
    b->used += n + 1;
  }
  if (n && memchr(s, '\n', n)) r->line += count_newlines(s, n);
  r->nfield++;
  r->cr_pending = 0;
}

static int validate_header(csv_reader *r);

static void on_row(int c, void *data) {
  csv_reader *r = data;
  if (r->err || r->stop) return;
  if (r->nfield == 0) {
    /* A blank line, or the LF of a CR LF pair. */
    if (c == '\n' && r->cr_pending) {
      r->cr_pending = 0;
      return;
    }
    if (c == '\n' || c == '\r') r->line++;
    r->cr_pending = c == '\r';
    return;
  }
  if (r->in_header) {
    r->in_header = 0;
    validate_header(r);
  } else if (r->nfield < r->ncols) {
    fail(r, PEIL_EDATA, "%s:%lld: %zu field%s, the header has %zu columns (column '%s' (%zu) is missing)",
         r->path, (long long)r->record_line, r->nfield, r->nfield == 1 ? "" : "s", r->ncols,
         r->names[r->nfield], r->nfield + 1);
  } else if (r->nfield == r->ncols) {
    csv_batch *b = r->cur;
    b->line[b->nrows++] = r->record_line;
    r->nrows++;
  }
  r->nfield = 0;
  if (c == '\n' || c == '\r') r->line++;
  r->cr_pending = c == '\r';
  if (!r->err && !r->in_header && (r->cur->nrows == r->cur->rows_cap || r->cur->used > TEXT_SOFT_CAP))
    handoff(r);
}

static int validate_header(csv_reader *r) {
  for (size_t j = 0; j < r->ncols; j++) {
    const char *nm = r->names[j];
    size_t bad;
    if (!nm[0]) {
      fail(r, PEIL_EDATA, "%s:%lld: column %zu has an empty name in the header row%s", r->path,
           (long long)r->record_line, j + 1,
           j + 1 == r->ncols ? " (a delimiter at the end of the line?)" : "");
      return -1;
    }
    if (!csv_utf8_valid(nm, strlen(nm), &bad)) {
      char show[128];
      csv_show_value(nm, strlen(nm), show, sizeof show);
      fail(r, PEIL_EDATA,
           "%s:%lld: column %zu: the name %s has a byte that is not UTF-8 (0x%02X at byte %zu); "
           "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
           r->path, (long long)r->record_line, j + 1, show, (unsigned char)nm[bad], bad + 1);
      return -1;
    }
    if (strchr(nm, '/') || strcmp(nm, ".") == 0) {
      fail(r, PEIL_EDATA, "%s:%lld: column %zu: the name '%s' cannot name a column (no '/', not '.')",
           r->path, (long long)r->record_line, j + 1, nm);
      return -1;
    }
    for (size_t i = 0; i < j; i++)
      if (strcmp(r->names[i], nm) == 0) {
        fail(r, PEIL_EDATA, "%s:%lld: duplicate column name '%s' (columns %zu and %zu)", r->path,
             (long long)r->record_line, nm, i + 1, j + 1);
        return -1;
      }
  }
  for (int i = 0; i < NBATCH; i++)
    if (batch_alloc(&r->batch[i], r->ncols)) {
      fail(r, PEIL_ENOMEM, "out of memory");
      return -1;
    }
  r->cur = &r->batch[0];
  for (int i = 1; i < NBATCH; i++) r->free_[r->nfree++] = &r->batch[i];
  return 0;
}

/* Hands the full current batch to the consumer and takes an empty one. In a
 * single thread the consumer runs right here, inside libcsv's callback. */
static void handoff(csv_reader *r) {
  csv_batch *b = r->cur;
  if (!r->threaded) {
    if (b->nrows) r->fn_rc = r->fn(r->ctx, b);
    b->nrows = b->used = 0;
    if (r->fn_rc) r->stop = 1;
    return;
  }
  pthread_mutex_lock(&r->mu);
  r->full[(r->full_head + r->nfull) % NBATCH] = b;
  r->nfull++;
  pthread_cond_broadcast(&r->cv);
  while (r->nfree == 0 && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
  r->cur = r->nfree ? r->free_[--r->nfree] : NULL;
  pthread_mutex_unlock(&r->mu);
  if (r->cur) {
    r->cur->nrows = r->cur->used = 0;
  } else {
    /* Stopped: park on a batch nobody else uses so callbacks stay safe. */
    r->stop = 1;
  }
}

/* Fills r->buf with the next read; 0 at end of file. */
static ssize_t fill(csv_reader *r) {
  ssize_t n;
  do n = read(r->fd, r->buf, READ_SIZE);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    fail(r, PEIL_EIO, "reading %s: %s", r->path, strerror(errno));
    return -1;
  }
  r->buf_len = (size_t)n;
  r->buf_pos = 0;
  if (n == 0) r->eof = 1;
  return n;
}

static void parse_error(csv_reader *r) {
  int e = csv_error(&r->parser);
  if (e == CSV_ENOMEM || e == CSV_ETOOBIG) {
    fail(r, PEIL_ENOMEM, "%s:%lld: out of memory (a field too long?)", r->path, (long long)r->line);
    return;
  }
  const char *col = r->in_header ? "" : r->nfield < r->ncols ? r->names[r->nfield] : "?";
  fail(r, PEIL_EDATA,
       "%s:%lld: column '%s' (%zu): malformed quotes: a quote inside an unquoted field, or "
       "text after a closing quote (quote a field whole and double quotes inside it: \"a \"\"b\"\"\")",
       r->path, (long long)r->line, col, r->nfield + 1);
}

/* Parses buf[pos, pos+n); 0 when parsing may go on. */
static int feed(csv_reader *r, size_t n) {
  size_t got = csv_parse(&r->parser, r->buf + r->buf_pos, n, on_field, on_row, r);
  r->buf_pos += n;
  if (got != n && !r->err) parse_error(r);
  return r->err || r->stop ? -1 : 0;
}

/* The end of the file: the last row may lack its line end. */
static void finish(csv_reader *r) {
  if (r->err || r->stop || r->finished) return;
  r->finished = 1;
  int64_t start = r->nfield ? r->record_line : r->line;
  size_t field = r->nfield;
  if (csv_fini(&r->parser, on_field, on_row, r) != 0 && !r->err) {
    const char *col = field < r->ncols ? r->names[field] : "?";
    if (r->in_header)
      fail(r, PEIL_EDATA, "%s:%lld: unterminated quoted field in the header row", r->path,
           (long long)start);
    else
      fail(r, PEIL_EDATA,
           "%s:%lld: column '%s' (%zu): unterminated quoted field: the quote opened here is "
           "never closed before the end of the file",
           r->path, (long long)start, col, field + 1);
  }
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

int csv_reader_open(const char *path, char delimiter, csv_reader **out) {
  *out = NULL;
  csv_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path)) || !(r->buf = malloc(READ_SIZE))) {
    if (r) free(r->path);
    free(r);
    return peil_error(PEIL_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) {
    int e = errno;
    csv_reader_close(r);
    return peil_error(e == ENOENT ? PEIL_ENOTFOUND : PEIL_EIO, "cannot read %s: %s", path,
                      strerror(e));
  }
  struct stat st;
  if (fstat(r->fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      csv_reader_close(r);
      return peil_error(PEIL_EINVAL, "%s: is a directory", path);
    }
    r->bytes = (int64_t)st.st_size;
  }
  posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  r->in_header = 1;
  r->line = 1;

  if (fill(r) < 0) goto failed;
  if (r->buf_len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) r->buf_pos = 3;
  r->delimiter = delimiter ? delimiter : sniff_delimiter(r->buf + r->buf_pos, r->buf_len - r->buf_pos);
  /* Strict: a stray quote is an error, not silently part of a value. */
  if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
    fail(r, PEIL_ENOMEM, "out of memory");
    goto failed;
  }
  r->parser_live = 1;
  csv_set_delim(&r->parser, (unsigned char)r->delimiter);
  csv_set_blk_size(&r->parser, 4096);

  /* Parse in small steps until the header row is complete, so that the data
   * rows parsed with it fit the first batch without a consumer. */
  while (r->in_header && !r->err) {
    if (r->buf_pos == r->buf_len) {
      if (fill(r) < 0) break;
      if (r->eof) {
        finish(r); /* a header row without a line end ends here */
        if (r->in_header && !r->err)
          fail(r, PEIL_EDATA, "%s: the file is empty: a header row with the column names is required",
               path);
        break;
      }
    }
    size_t n = r->buf_len - r->buf_pos;
    feed(r, n < HEADER_STEP ? n : HEADER_STEP);
  }
  if (r->err) goto failed;
  *out = r;
  return PEIL_OK;
failed:;
  int code = peil_error(r->err ? r->err : PEIL_EIO, "%s", r->errmsg);
  csv_reader_close(r);
  return code;
}

size_t csv_reader_ncols(const csv_reader *r) { return r->ncols; }
const char *const *csv_reader_names(const csv_reader *r) { return (const char *const *)r->names; }
char csv_reader_delimiter(const csv_reader *r) { return r->delimiter; }
const char *csv_reader_path(const csv_reader *r) { return r->path; }
int64_t csv_reader_bytes(const csv_reader *r) { return r->bytes; }
int64_t csv_reader_rows(const csv_reader *r) { return r->nrows; }

/* Parses the rest of the file; delivers the last partial batch. */
static void produce(csv_reader *r) {
  while (!r->err && !r->stop) {
    if (r->buf_pos == r->buf_len && !r->eof && fill(r) < 0) break;
    if (r->eof) {
      finish(r);
      if (!r->err && !r->stop && r->cur && r->cur->nrows) handoff(r);
      break;
    }
    feed(r, r->buf_len - r->buf_pos);
  }
}

static void *producer_main(void *arg) {
  csv_reader *r = arg;
  produce(r);
  pthread_mutex_lock(&r->mu);
  r->done = 1;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

int csv_reader_run(csv_reader *r, int threads, csv_batch_fn fn, void *ctx) {
  r->fn = fn;
  r->ctx = ctx;
  int rc = PEIL_OK;
  if (threads == 1) {
    r->threaded = 0;
    produce(r);
    rc = r->fn_rc;
  } else {
    r->threaded = 1;
    pthread_t th;
    if (pthread_create(&th, NULL, producer_main, r) != 0)
      return peil_error(PEIL_EIO, "cannot start the CSV parser thread");
    for (;;) {
      pthread_mutex_lock(&r->mu);
      while (r->nfull == 0 && !r->done) pthread_cond_wait(&r->cv, &r->mu);
      if (r->nfull == 0) {
        pthread_mutex_unlock(&r->mu);
        break;
      }
      csv_batch *b = r->full[r->full_head];
      r->full_head = (r->full_head + 1) % NBATCH;
      r->nfull--;
      pthread_mutex_unlock(&r->mu);
      rc = fn(ctx, b);
      pthread_mutex_lock(&r->mu);
      r->free_[r->nfree++] = b;
      if (rc) r->stop = 1;
      pthread_cond_broadcast(&r->cv);
      pthread_mutex_unlock(&r->mu);
      if (rc) break;
    }
    pthread_join(th, NULL);
    r->threaded = 0;
  }
  /* The consumer's error came from an earlier row than any the parser
   * found later; otherwise the parser's error is the first. */
  if (rc) return rc;
  if (r->err) return peil_error(r->err, "%s", r->errmsg);
  return PEIL_OK;
}

void csv_reader_close(csv_reader *r) {
  if (!r) return;
  if (r->parser_live) csv_free(&r->parser);
  if (r->fd >= 0) close(r->fd);
  for (int i = 0; i < NBATCH; i++) batch_free(&r->batch[i]);
  for (size_t j = 0; j < r->ncols; j++) free(r->names[j]);
  free(r->names);
  free(r->buf);
  free(r->path);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r);
}
