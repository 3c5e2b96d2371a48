/* The rules of disclosure control: defaults and the keys of a spec's
 * [disclosure] section. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "disclosure_internal.h"

void peil_disclosure_rules_init(peil_disclosure_rules *r) {
  r->enabled = 1;
  r->min_cell = 10;
  r->rounding = 0;
  r->zero_cells = PEIL_ZERO_CELLS_SAFE;
}

int peil_disclosure_rules_set(peil_disclosure_rules *r, const char *key, const char *value) {
  if (!key) key = "";
  if (!value) value = "";
  if (!strcmp(key, "min_cell")) {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (end == value || *end || errno || v < 1 || v > 1000000000)
      return peil_error(PEIL_EINVAL, "[disclosure] min_cell: '%s' is not a whole number of at least 1 "
                                     "(CBS: 10)", value);
    r->min_cell = v;
    return PEIL_OK;
  }
  if (!strcmp(key, "rounding")) {
    if (!strcasecmp(value, "none")) r->rounding = 0;
    else if (!strcmp(value, "5")) r->rounding = 5;
    else if (!strcmp(value, "10")) r->rounding = 10;
    else
      return peil_error(PEIL_EINVAL, "[disclosure] rounding: '%s' is not one of none, 5, 10", value);
    return PEIL_OK;
  }
  if (!strcmp(key, "zero_cells")) {
    if (!strcasecmp(value, "safe")) r->zero_cells = PEIL_ZERO_CELLS_SAFE;
    else if (!strcasecmp(value, "small")) r->zero_cells = PEIL_ZERO_CELLS_SMALL;
    else
      return peil_error(PEIL_EINVAL,
                        "[disclosure] zero_cells: '%s' is not one of safe (a 0 is published), "
                        "small (a 0 is suppressed like a small cell)",
                        value);
    return PEIL_OK;
  }
  return peil_error(PEIL_EINVAL, "[disclosure] unknown key '%s' (keys: min_cell, rounding, zero_cells)", key);
}

int disclosure_rules_check(const peil_disclosure_rules *r) {
  if (!r->enabled) return PEIL_OK;
  if (r->min_cell < 1)
    return peil_error(PEIL_EINVAL, "disclosure rules: min_cell must be at least 1 (got %lld)",
                      (long long)r->min_cell);
  if (r->rounding != 0 && r->rounding != 5 && r->rounding != 10)
    return peil_error(PEIL_EINVAL, "disclosure rules: rounding must be 0 (none), 5 or 10 (got %d)", r->rounding);
  if (r->zero_cells != PEIL_ZERO_CELLS_SAFE && r->zero_cells != PEIL_ZERO_CELLS_SMALL)
    return peil_error(PEIL_EINVAL, "disclosure rules: zero_cells must be safe or small");
  return PEIL_OK;
}
