/* Tables written under a temporary name and renamed when complete (peil
 * panel, peil split): the store's user never sees a half-written table,
 * and a table being replaced is dropped only once its successor is whole. */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort_internal.h"

int cohort_partial_name(peil_store *st, const char *name, char **tmp) {
  *tmp = NULL;
  for (int k = 0;; k++) {
    int n = k ? asprintf(tmp, ".%s.partial%d", name, k) : asprintf(tmp, ".%s.partial", name);
    if (n < 0) {
      *tmp = NULL;
      return peil_error(PEIL_ENOMEM, "out of memory");
    }
    if (!peil_store_has_table(st, *tmp)) return PEIL_OK;
    free(*tmp);
  }
}

int cohort_partial_install(peil_store *st, const char *tmp, const char *name, int rc) {
  if (!tmp) return rc;
  if (!rc && peil_store_has_table(st, name)) rc = peil_store_drop_table(st, name);
  if (!rc) rc = peil_store_rename_table(st, tmp, name);
  if (rc && peil_store_has_table(st, tmp)) {
    /* Keep the message of the failure, not of the clean-up. */
    char *msg = strdup(peil_errmsg());
    peil_store_drop_table(st, tmp);
    if (msg) peil_error(rc, "%s", msg);
    free(msg);
  }
  return rc;
}
