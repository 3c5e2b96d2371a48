/* The options of peil logit | probit | ols | glm, which are also the keys
 * of the [logit NAME], [probit NAME], [ols NAME] and [glm NAME] sections
 * of a batch spec (cli_args.h). */
#ifndef PEIL_CLI_GLM_ARGS_H
#define PEIL_CLI_GLM_ARGS_H

#include "cli_args.h"
#include "glm_report.h"

typedef struct {
  const char *cmd;            /* logit, probit, ols, glm */
  peil_glm_options glm;
  peil_csv_options csv;       /* CSV input */
  glm_report_options report;  /* json, exponentiate */
  const char *table, *output;
  const char **refs;          /* --ref COL=LEVEL, repeatable */
  size_t nrefs;
  int vcov_given;
} glm_args;

extern const cli_arg glm_arg_table[];

void glm_args_init(glm_args *a, const char *cmd);
/* A cli_arg_setter: ctx is a glm_args. */
int glm_args_set(void *ctx, const char *key, const char *value);
/* After the last key: what is required and what goes together; fills the
 * defaults that depend on other keys. PEIL_EINVAL with a message naming
 * the option (without dashes: the caller adds them on the command line). */
int glm_args_finish(glm_args *a);
void glm_args_free(glm_args *a);

#endif
