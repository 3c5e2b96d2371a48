/* peil/core.h: status codes, error messages, version and the column types
 * shared by every module.
 *
 * Every library function returns 0 (PEIL_OK) or a negative PEIL_E* code.
 * On failure it also leaves a message for the calling thread that names the
 * place (file, table, column, line) as applies; read it with peil_errmsg().
 */
#ifndef PEIL_CORE_H
#define PEIL_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. The split matters to the CLI: "input" codes (bad data,
 * bad usage) exit with 2, the rest with 1 (see peil_exit_code). */
enum {
  PEIL_OK = 0,
  PEIL_EINVAL = -1,    /* invalid argument or usage                 (input) */
  PEIL_EDATA = -2,     /* malformed or inconsistent input data      (input) */
  PEIL_ENOTFOUND = -3, /* file, table, column or level not found    (input) */
  PEIL_EEXIST = -4,    /* target exists and replacing was not asked (input) */
  PEIL_ETYPE = -5,     /* value or column of the wrong type         (input) */
  PEIL_ENOMEM = -6,    /* out of memory                           (runtime) */
  PEIL_EIO = -7,       /* operating-system I/O failure            (runtime) */
  PEIL_EHDF5 = -8,     /* the HDF5 library reported a failure     (runtime) */
  PEIL_ENUMERIC = -9,  /* the model does not fit the data: separation,
                          no convergence, a singular design     (input) */
  PEIL_EINTERNAL = -10 /* a bug in peil                            (runtime) */
};

/* A short fixed description of a status code ("bad input data", ...). */
const char *peil_strerror(int status);

/* The calling thread's last error message, or "" when none was set. */
const char *peil_errmsg(void);

/* Set the calling thread's message (printf format) and return `status`,
 * so that a failing path reads `return peil_error(PEIL_EDATA, "...", ...)`. */
int peil_error(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the current message with more context ("reading t.csv: " + msg). */
int peil_error_prefix(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void peil_error_clear(void);

/* Appends a formatted string (no length limit) to the list *v of *n
 * strings: the warnings a result carries. PEIL_ENOMEM when out of memory,
 * the list unchanged. */
int peil_strings_addf(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int peil_strings_vaddf(char ***v, size_t *n, const char *fmt, va_list ap);

/* Process exit code for a status: 0 ok, 2 bad input or usage, 1 otherwise. */
int peil_exit_code(int status);

/* Library version, "MAJOR.MINOR.PATCH". */
const char *peil_version(void);

/* Seconds on a monotonic clock, for the timings results report. */
double peil_seconds(void);

/* Column types of the store. Dates are int32 days since 1970-01-01;
 * categoricals are integer codes 0..nlevels-1 with labels (HDF5 enums);
 * booleans are int8 0/1. */
typedef enum {
  PEIL_INT8 = 0,
  PEIL_INT16,
  PEIL_INT32,
  PEIL_INT64,
  PEIL_FLOAT32,
  PEIL_FLOAT64,
  PEIL_BOOL,
  PEIL_DATE,
  PEIL_ENUM,
  PEIL_NTYPES
} peil_type;

/* Missing-value sentinels as peil holds them in memory. Floats use NaN.
 * Stores written elsewhere may name other sentinels in a column's `missing`
 * attribute; the scanner maps those to these, so code above the store only
 * ever sees these values. */
#define PEIL_NA_INT8 INT8_MIN
#define PEIL_NA_INT16 INT16_MIN
#define PEIL_NA_INT32 INT32_MIN
#define PEIL_NA_INT64 INT64_MIN
#define PEIL_NA_BOOL ((int8_t)-1)
#define PEIL_NA_DATE INT32_MIN
#define PEIL_NA_ENUM ((int32_t)-1)

/* In-memory element size of a type (enum codes are held as int32). */
size_t peil_type_size(peil_type t);

/* "int8", "float64", "date", "enum", ... and the reverse (-1 if unknown). */
const char *peil_type_name(peil_type t);
int peil_type_from_name(const char *name);

/* Date helpers: days since 1970-01-01 <-> civil date (proleptic Gregorian).
 * peil_date_parse accepts ISO YYYY-MM-DD and Dutch DD-MM-YYYY; it returns 0
 * and sets *days, or PEIL_EDATA for anything else (including 2021-02-30). */
int32_t peil_date_from_ymd(int y, int m, int d);
void peil_date_to_ymd(int32_t days, int *y, int *m, int *d);
int peil_date_parse(const char *s, size_t len, int32_t *days);
/* A calendar month: "YYYY-MM" (or a date, ISO or Dutch, in the month) to
 * the month's first day; PEIL_EDATA for anything else (2021-13, 2021-1). */
int peil_month_parse(const char *s, int32_t *first_day);
/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void peil_date_format(int32_t days, char *buf);
/* Add months to a date, clamping the day to the month's length (Jan 31 + 1
 * month = Feb 28/29), as register analyses count "k months later". */
int32_t peil_date_add_months(int32_t days, int months);

/* Arrays of n elements of `size` bytes that may be large (a column of the
 * data): from malloc, with their whole 2 MiB pages marked for transparent
 * huge pages, so that touching them costs up to 512 times fewer page
 * faults (src/core/memory.c says why not aligned). NULL on overflow or
 * when out of memory; release with free(). */
void *peil_alloc_large(size_t n, size_t size);
void *peil_calloc_large(size_t n, size_t size); /* zeroed */

/* Atomic output: every file peil writes goes to a temporary file beside the
 * target and is renamed into place only when complete, so a failed or
 * interrupted run never leaves a half-written file behind. */
typedef struct peil_atomic_file peil_atomic_file;

/* Creates "<dir>/.<name>.XXXXXX" beside `target`. */
int peil_atomic_open(const char *target, peil_atomic_file **out);
/* The stdio stream to write to (owned by the atomic file). */
void *peil_atomic_stream(peil_atomic_file *f); /* returns FILE * */
/* The temporary path, for writers that open the file themselves (HDF5). */
const char *peil_atomic_temp_path(const peil_atomic_file *f);
/* Flush, fsync and rename over the target; frees f in every case. */
int peil_atomic_commit(peil_atomic_file *f);
/* Remove the temporary file; frees f. NULL is allowed. */
void peil_atomic_abort(peil_atomic_file *f);

/* A temporary directory of files (no subdirectories) that a signal should
 * remove with its contents: returns a slot for peil_atomic_untrack_dir, or
 * -1 when all of the few slots are taken (then it is not removed on a
 * signal). Untrack it before removing or renaming it yourself. */
int peil_atomic_track_dir(const char *path);
void peil_atomic_untrack_dir(int slot);

/* Removes every temporary file still open and every tracked directory;
 * async-signal-safe, for the CLI's SIGINT/SIGTERM handler. */
void peil_atomic_cleanup_all(void);

#ifdef __cplusplus
}
#endif
#endif
