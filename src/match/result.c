/* Options and results of the match module: defaults and release. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

void peil_match_options_init(peil_match_options *o) {
  memset(o, 0, sizeof *o);
  o->method = PEIL_MATCH_NEAREST;
  o->estimand = PEIL_ATT;
  o->distance = PEIL_DISTANCE_GLM;
  o->link = "logit";
  peil_nn_options_init(&o->nn);
  o->caliper_sd = NAN;
  o->discard = PEIL_DISCARD_NONE;
  o->subclasses = 6;
}

void peil_match_result_free(peil_match_result *r) {
  if (!r) return;
  free(r->distance), free(r->discarded), free(r->weight), free(r->subclass);
  free(r->treated_unit), free(r->pairs), free(r->bounds);
  for (size_t k = 0; r->warnings && k < r->nwarnings; k++) free(r->warnings[k]);
  free(r->warnings);
  free(r);
}
