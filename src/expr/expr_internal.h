/* Internal to the expr module: tokens, the syntax tree, and the parser state
 * shared by expressions and formulas. */
#ifndef PEIL_EXPR_INTERNAL_H
#define PEIL_EXPR_INTERNAL_H

#include "peil/expr.h"

typedef enum {
  TK_END, TK_NUM, TK_STR, TK_IDENT, TK_LPAREN, TK_RPAREN, TK_COMMA,
  TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_CARET, TK_COLON, TK_TILDE,
  TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_AND, TK_OR, TK_NOT,
  TK_IN, TK_IS, TK_NOTKW, TK_MISSING, TK_BAD
} tok_kind;

typedef struct {
  tok_kind kind;
  size_t pos, len; /* byte offset and length in the text */
  double num;
  char *str;       /* TK_STR and TK_IDENT: unescaped, malloc'ed */
} token;

typedef struct {
  const char *text;
  const char *what;  /* "--where", "formula": for messages */
  token *toks;
  size_t ntok, cap, at;
} lexer;

/* Tokenises all of text; PEIL_EINVAL with a caret message on a bad character
 * or an unterminated string. */
int peil_lex(lexer *lx, const char *text, const char *what);
void peil_lex_free(lexer *lx);
/* Sets a syntax error pointing at byte `pos` of the text. */
int peil_syntax_error(const lexer *lx, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *peil_tok_name(tok_kind k);

typedef enum {
  N_NUM, N_STR, N_COL, N_NEG, N_ADD, N_SUB, N_MUL, N_DIV, N_POW,
  N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE, N_IN, N_ISNA, N_NOTNA,
  N_AND, N_OR, N_NOT, N_CALL
} node_kind;

/* Static types found by binding. */
typedef enum { VT_NUM, VT_COND, VT_CAT, VT_DATE, VT_STR } value_type;

typedef double (*peil_fn)(double);

typedef struct node {
  node_kind kind;
  size_t pos;           /* where it starts in the text, for messages */
  double num;           /* N_NUM; bound N_STR (label code or date) */
  char *str;            /* N_STR text, N_COL name, N_CALL function name */
  struct node **kids;
  size_t nkids;
  /* Filled by binding. */
  value_type vt;
  int col;              /* N_COL: index in the expression's column list */
  size_t slot;          /* N_COL: index in the block */
  const peil_column_info *info;
  peil_fn fn;           /* N_CALL */
} node;

struct peil_expr {
  char *text;
  node *root;
  char **cols;          /* distinct column names in order of appearance */
  size_t ncols;
  int bound;
  char *what;
};

/* Parses one expression starting at lx->at (formulas parse their factors
 * with it). Stops at the first token that cannot continue it. */
int peil_parse_expr(lexer *lx, node **out);
void peil_node_free(node *n);
/* Collects distinct column names of a tree into e->cols. */
int peil_collect_columns(struct peil_expr *e, node *n);

#endif
