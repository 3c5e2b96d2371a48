/* Column types: sizes and names. */
#include "peil/core.h"

#include <string.h>

static const char *const type_names[PEIL_NTYPES] = {
    "int8", "int16", "int32", "int64", "float32",
    "float64", "bool", "date", "enum"};

size_t peil_type_size(peil_type t) {
  switch (t) {
  case PEIL_INT8:
  case PEIL_BOOL: return 1;
  case PEIL_INT16: return 2;
  case PEIL_INT32:
  case PEIL_DATE:
  case PEIL_ENUM:
  case PEIL_FLOAT32: return 4;
  case PEIL_INT64:
  case PEIL_FLOAT64: return 8;
  default: return 0;
  }
}

const char *peil_type_name(peil_type t) {
  return (t >= 0 && t < PEIL_NTYPES) ? type_names[t] : "?";
}

int peil_type_from_name(const char *name) {
  for (int t = 0; t < PEIL_NTYPES; t++)
    if (strcmp(name, type_names[t]) == 0) return t;
  if (strcmp(name, "categorical") == 0 || strcmp(name, "factor") == 0)
    return PEIL_ENUM;
  if (strcmp(name, "double") == 0) return PEIL_FLOAT64;
  if (strcmp(name, "integer") == 0 || strcmp(name, "int") == 0) return PEIL_INT32;
  if (strcmp(name, "boolean") == 0 || strcmp(name, "logical") == 0) return PEIL_BOOL;
  return -1;
}
