/* Tokeniser for expressions and formulas, and the caret error message. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_internal.h"

int peil_syntax_error(const lexer *lx, size_t pos, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* The text on one line and a caret under the position, as compilers do. */
  size_t len = strlen(lx->text);
  if (pos > len) pos = len;
  char caret[1024];
  size_t n = pos < sizeof caret - 2 ? pos : sizeof caret - 2;
  memset(caret, ' ', n);
  caret[n] = '^';
  caret[n + 1] = '\0';
  return peil_error(PEIL_EINVAL, "syntax error in %s at position %zu: %s\n  %s\n  %s", lx->what,
                    pos + 1, what, lx->text, caret);
}

const char *peil_tok_name(tok_kind k) {
  static const char *const names[] = {
      "end of text", "number", "string", "name", "'('", "')'", "','", "'+'", "'-'",
      "'*'", "'/'", "'^'", "':'", "'~'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='",
      "'&'", "'|'", "'!'", "'in'", "'is'", "'not'", "'missing'", "?"};
  return names[k];
}

static int push(lexer *lx, token t) {
  if (lx->ntok == lx->cap) {
    size_t cap = lx->cap ? 2 * lx->cap : 16;
    token *v = realloc(lx->toks, cap * sizeof *v);
    if (!v) return peil_error(PEIL_ENOMEM, "out of memory");
    lx->toks = v;
    lx->cap = cap;
  }
  lx->toks[lx->ntok++] = t;
  return PEIL_OK;
}

static int is_ident_start(int c) { return isalpha(c) || c == '_' || c == '.' || c >= 0x80; }
static int is_ident_char(int c) { return isalnum(c) || c == '_' || c == '.' || c >= 0x80; }

int peil_lex(lexer *lx, const char *text, const char *what) {
  memset(lx, 0, sizeof *lx);
  lx->text = text;
  lx->what = what;
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  int rc = PEIL_OK;
  while (!rc) {
    while (isspace(s[i])) i++;
    token t = {TK_END, i, 0, 0, NULL};
    unsigned char c = s[i];
    if (!c) {
      rc = push(lx, t);
      break;
    }
    if (isdigit(c) || (c == '.' && isdigit(s[i + 1]))) {
      char *end;
      t.kind = TK_NUM;
      t.num = strtod((const char *)s + i, &end);
      t.len = (size_t)(end - (const char *)s) - i;
    } else if (c == '"' || c == '\'' || c == '`') {
      /* Strings in quotes; backquotes quote a column name with odd characters. */
      size_t j = i + 1, k = 0;
      char *buf = malloc(strlen(text) + 1);
      if (!buf) return peil_error(PEIL_ENOMEM, "out of memory");
      while (s[j] && s[j] != c) {
        if (s[j] == '\\' && s[j + 1]) j++;
        buf[k++] = (char)s[j++];
      }
      buf[k] = '\0';
      if (!s[j]) {
        free(buf);
        rc = peil_syntax_error(lx, i, "unterminated %s", c == '`' ? "name" : "string");
        break;
      }
      t.kind = c == '`' ? TK_IDENT : TK_STR;
      t.str = buf;
      t.len = j + 1 - i;
    } else if (is_ident_start(c)) {
      size_t j = i;
      while (is_ident_char(s[j])) j++;
      t.len = j - i;
      t.str = strndup(text + i, t.len);
      if (!t.str) return peil_error(PEIL_ENOMEM, "out of memory");
      t.kind = TK_IDENT;
      if (strcmp(t.str, "in") == 0) t.kind = TK_IN;
      else if (strcmp(t.str, "is") == 0) t.kind = TK_IS;
      else if (strcmp(t.str, "not") == 0) t.kind = TK_NOTKW;
      else if (strcmp(t.str, "missing") == 0) t.kind = TK_MISSING;
      if (t.kind != TK_IDENT) {
        free(t.str);
        t.str = NULL;
      }
    } else {
      unsigned char d = s[i + 1];
      t.len = 1;
      switch (c) {
      case '(': t.kind = TK_LPAREN; break;
      case ')': t.kind = TK_RPAREN; break;
      case ',': t.kind = TK_COMMA; break;
      case '+': t.kind = TK_PLUS; break;
      case '-': t.kind = TK_MINUS; break;
      case '*': t.kind = TK_STAR; break;
      case '/': t.kind = TK_SLASH; break;
      case '^': t.kind = TK_CARET; break;
      case ':': t.kind = TK_COLON; break;
      case '~': t.kind = TK_TILDE; break;
      case '=':
        if (d == '=') t.kind = TK_EQ, t.len = 2;
        else t.kind = TK_BAD;
        break;
      case '!':
        if (d == '=') t.kind = TK_NE, t.len = 2;
        else t.kind = TK_NOT;
        break;
      case '<':
        if (d == '=') t.kind = TK_LE, t.len = 2;
        else if (d == '>') t.kind = TK_NE, t.len = 2;
        else t.kind = TK_LT;
        break;
      case '>':
        if (d == '=') t.kind = TK_GE, t.len = 2;
        else t.kind = TK_GT;
        break;
      case '&':
        t.kind = TK_AND, t.len = d == '&' ? 2 : 1;
        break;
      case '|':
        t.kind = TK_OR, t.len = d == '|' ? 2 : 1;
        break;
      default: t.kind = TK_BAD;
      }
      if (t.kind == TK_BAD) {
        rc = c == '=' ? peil_syntax_error(lx, i, "'=' is not an operator; compare with '=='")
                      : peil_syntax_error(lx, i, "unexpected character '%c'", c);
        break;
      }
    }
    if (!rc) rc = push(lx, t);
    else free(t.str);
    i += t.len;
  }
  if (rc) peil_lex_free(lx);
  return rc;
}

void peil_lex_free(lexer *lx) {
  for (size_t i = 0; i < lx->ntok; i++) free(lx->toks[i].str);
  free(lx->toks);
  lx->toks = NULL;
  lx->ntok = lx->cap = 0;
}
