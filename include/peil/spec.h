/* peil/spec.h: reading INI spec files (peil cohort --spec, peil run).
 *
 * A thin layer over inih that gives every entry its line number, joins
 * continuation lines (indented lines continue the previous value, so long
 * code lists can be wrapped) and refuses lines that inih would silently cut
 * (Debian's inih reads at most 199 characters a line). */
#ifndef PEIL_SPEC_H
#define PEIL_SPEC_H

#include "peil/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *section; /* "cohort g4" (the text between the brackets, trimmed) */
  const char *key;
  const char *value;   /* continuation lines joined with one space */
  int line;            /* of the key */
} peil_spec_entry;

typedef struct {
  char *path;
  size_t n;
  peil_spec_entry *entries; /* in file order */
  size_t nsections;
  char **sections;          /* every section name in file order, also empty ones */
  int *section_line;
} peil_spec_file;

/* Reads the whole file. Syntax errors name the file and line. */
int peil_spec_read(const char *path, peil_spec_file **out);
void peil_spec_file_free(peil_spec_file *f);

/* Splits a section name "cohort g4" into its type ("cohort") and name
 * ("g4"); name is "" when there is none. Writes into the buffers. */
void peil_spec_section_split(const char *section, char *type, size_t ntype, char *name,
                             size_t nname);

/* Splits a comma-separated list, trimming white space around each item;
 * empty items are an error (PEIL_EINVAL, message names `what`). The
 * vector is NULL-terminated; free with peil_spec_list_free. */
int peil_spec_split_list(const char *value, const char *what, char ***items, size_t *n);
void peil_spec_list_free(char **items);

#ifdef __cplusplus
}
#endif
#endif
