/* Internal to peil split (src/cohort/split*.c): the rules that make a
 * person's spells into episodes, follow-up, events, treatment and pieces
 * (split_rules.c, pure functions on one person's spells, unit-tested
 * one by one), and the engine of the pass (split.c). */
#ifndef PEIL_SPLIT_INTERNAL_H
#define PEIL_SPLIT_INTERNAL_H

#include "cohort_internal.h"
#include "peil/split.h"

/* An episode: spells that follow each other with at most `gap` days
 * between them (or overlap). */
typedef struct {
  int32_t start;  /* its first day */
  int32_t end;    /* its last day; INT32_MAX when its last spell is open */
  int32_t number; /* 1, 2, ... among the person's episodes */
} split_episode;

/* The follow-up of an episode, in days since its start: the days at risk
 * are the intervals (t, t + 1] of day t = 0, 1, ... (R's survival
 * convention: an exit on day t happens at time t + 1). */
typedef struct {
  int32_t t0, t1;     /* follow-up (t0, t1]: t0 > 0 when it begins after the start */
  int ended;          /* the episode ends inside the follow-up (else censored at t1) */
  int event;          /* ... and that end is the event */
  int unobserved;     /* ended, no event seen, but the event window runs past the data */
  int32_t on, off;    /* treated from time `on` (a piece (a, b] with on <= a < off);
                         PEIL_SPLIT_NEVER: not treated / not ending */
  int earlier;        /* a treatment spell ended before the episode's start */
} split_followup;

typedef struct {
  int32_t a, b;       /* the piece (a, b] */
  int32_t period;     /* index of the duration band: the cut points <= a */
  int8_t treated, event;
} split_piece;

/* The person's episodes from the spells of t (sorted by start) that match
 * condition `bit` (bit < 0: all). A spell that starts at most gap + 1 days
 * after the latest end so far continues the episode (gap 0: adjacent
 * spells merge); gap < 0: every spell is an episode. out has room for
 * t->nsp. Returns the number of episodes. */
size_t split_episodes(const spell_table *t, int bit, int gap, split_episode *out);

/* The follow-up window of an episode: from its start, or `from` when that
 * is later (delayed entry; PEIL_NA_DATE or PEIL_SPLIT_NEVER: none), to its
 * last day or `to` when that is earlier (censored). Returns 0 when no day
 * of the episode lies in the window, else 1 with f->t0, t1, ended set. An
 * open episode needs a `to` (not PEIL_NA_DATE): the caller checks. */
int split_window(const split_episode *e, int32_t from, int32_t to, split_followup *f);

/* Does a spell of t (matching bit) start on a day in [last + a, last + b]? */
int split_event_found(const spell_table *t, int bit, int32_t last, int a, int b);

/* The treatment of an episode from the spells of t (matching bit): the
 * first spell that overlaps the episode's days up to its last day of
 * follow-up switches treated on from its start (from the episode's start
 * if it began earlier) and, with treatment_end = k >= 0, off again from
 * k + 1 days after its last day; later spells are not looked at. Also
 * f->earlier: a spell ended before the episode's start. Sets f->on, f->off,
 * f->earlier. */
void split_treatment(const spell_table *t, int bit, const split_episode *e, int treatment_end,
                     split_followup *f);

/* The pieces of a follow-up: (t0, t1] cut at the duration cut points and
 * at the treatment's switches that lie strictly inside, so no piece is
 * empty. out has room for ncuts + 3 pieces. Returns their number. */
size_t split_pieces(const split_followup *f, const int32_t *cuts, size_t ncuts, split_piece *out);

/* The band labels "0-91", "91-182", ..., "547+" ("0+" without cuts);
 * NULL-terminated, free with peil_strings_free(v, ncuts + 1). */
char **split_period_labels(const int32_t *cuts, size_t ncuts);

/* "TABLE [where COND]" into the table's name and the condition (NULL:
 * none), both malloc'ed. */
int split_parse_status(const char *text, char **table, char **where);

#endif
