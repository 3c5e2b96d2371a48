/* Internal to the match module. */
#ifndef PEIL_MATCH_INTERNAL_H
#define PEIL_MATCH_INTERNAL_H

#include "peil/match.h"

#endif
