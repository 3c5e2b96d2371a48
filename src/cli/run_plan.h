/* peil run: the plan of a batch spec. Every section is read, and every key
 * checked, before any work starts: an error names the file, the line, the
 * section and the key, and nothing is computed or written. */
#ifndef PEIL_CLI_RUN_PLAN_H
#define PEIL_CLI_RUN_PLAN_H

#include "glm_args.h"
#include "match_args.h"
#include "test_args.h"

typedef enum {
  RUN_DATA,       /* [data]: the store */
  RUN_DISCLOSURE, /* [disclosure]: the output rules */
  RUN_COHORT,     /* [cohort NAME] */
  RUN_GLM,        /* [logit NAME], [probit NAME], [ols NAME], [glm NAME] */
  RUN_MATCH,      /* [match NAME] */
  RUN_TABLE,      /* [table NAME]: a cross-tabulation */
  RUN_TEST,       /* [test NAME]: prop, binom, chisq, fisher, t or wilcox on a table */
  RUN_SPLIT,      /* [split NAME]: episodes split for a piecewise hazard (peil split) */
} run_kind;

typedef struct {
  run_kind kind;
  char type[64];    /* as written: logit, ols, ... */
  char name[256];   /* the file stem of its tables */
  char *section;    /* "logit work": the spec file's section name */
  int line;         /* of the section header */
  int from;         /* index of the section whose rows it reads, -1: the store */
  int rows_for_later; /* a cohort whose rows a later section reads (from = NAME) */
  const char *rows_table; /* cohort and split: the table of rows later sections read */
  const char *table; /* table = T of the store (NULL with from) */
  int data_table;    /* table = T names a [data] table.T (a join), not one of the store's */
  glm_args glm;     /* RUN_GLM */
  match_args match; /* RUN_MATCH */
  peil_crosstab_options crosstab; /* RUN_TABLE */
  test_args test;   /* RUN_TEST */
  peil_test_kind test_kind;
  char **test_counts;       /* counts = ...: the numbers, as peil test takes them; NULL: a table */
  size_t ntest_counts;
  peil_split_options split; /* RUN_SPLIT */
  const char *title;  /* title = ... of a [table NAME], NULL: made from its keys */
  peil_cohort_spec *cohort; /* RUN_COHORT */
  peil_table_info *rows_info; /* cohort and split: the columns of their rows (checked) */
} run_section;

/* [data] table.NAME = LEFT join RIGHT: the rows of LEFT with the columns
 * of RIGHT's row of the same rin (peil_table_join), made once per run in
 * the private row directory (run_data_tables) for sections with
 * table = NAME. */
typedef struct {
  const char *name, *left, *right; /* point into the spec's text or own copies below */
  char *text;                      /* owned: "LEFT\0RIGHT" */
  int line;
  peil_table_info *info;           /* its columns (run_plan_check) */
} run_data_table;

typedef struct {
  peil_spec_file *spec;
  char *store_path;       /* [data] store, resolved against the spec's directory */
  int store_line;
  run_data_table *data;   /* [data] table.NAME = ... */
  size_t ndata;
  peil_disclosure_rules rules; /* [disclosure], or the defaults (on) */
  size_t n;
  run_section *sections;  /* the analyses, in file order ([data], [disclosure] not among them) */
} run_plan;

/* Reads spec `path` and checks every section and key; store_override
 * (NULL: none) replaces [data] store. */
int run_plan_load(const char *path, const char *store_override, run_plan **out);
/* Checks the plan against the store before any work: its tables, the
 * columns the sections name, cohort and split sections as far as their
 * runs check before reading the spells, the [data] joins, and the columns
 * a section reads from an earlier one's rows (from = NAME). Once per run:
 * the processes of --jobs run a plan their parent has checked. */
int run_plan_check(run_plan *p);
void run_plan_free(run_plan *p);

#endif
