/* Freeing a cohort result. */
#include <stdlib.h>

#include "cohort_internal.h"

static void free_strings(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void peil_cohort_result_free(peil_cohort_result *r) {
  if (!r) return;
  free(r->name);
  free(r->population);
  free(r->clock);
  free(r->dates);
  free_strings(r->subsets, r->nsubsets);
  free_strings(r->subset_definitions, r->nsubsets);
  free_strings(r->groups, r->ngroups);
  free(r->group_column);
  if (r->strata)
    for (size_t i = 0; i < r->nstrata; i++) {
      free(r->strata[i].name);
      free_strings(r->strata[i].levels, (size_t)r->strata[i].nlevels);
    }
  free(r->strata);
  if (r->outcomes)
    for (size_t i = 0; i < r->noutcomes; i++) {
      free(r->outcomes[i].name);
      free(r->outcomes[i].definition);
      free(r->outcomes[i].family);
      free(r->outcomes[i].category);
    }
  free(r->outcomes);
  free(r->horizons);
  free(r->cells);
  free(r->pop);
  free(r->adjusted);
  free_strings(r->covariates, r->ncovariates);
  free_strings(r->states, r->nstates);
  free(r->transitions);
  free(r->paths);
  if (r->cooccurrences)
    for (size_t i = 0; i < r->ncooccurrences; i++) {
      free(r->cooccurrences[i].name);
      free(r->cooccurrences[i].definition);
      free_strings(r->cooccurrences[i].levels, r->cooccurrences[i].nlevels);
    }
  free(r->cooccurrences);
  free(r->cooc_cells);
  free_strings(r->warnings, r->nwarnings);
  free(r);
}
