/* Command-line options and spec keys through one setter (cli_args.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_args.h"

const cli_arg *cli_args_find(const cli_arg *args, const char *name) {
  for (const cli_arg *a = args; a->name; a++)
    if (strcmp(a->name, name) == 0) return a;
  return NULL;
}

int cli_args_parse(const char *cmd, int argc, char **argv, const cli_arg *args, cli_arg_setter set,
                   void *ctx, int *first_operand) {
  size_t n = 0;
  while (args[n].name) n++;
  struct option *opts = calloc(n + 1, sizeof *opts);
  char shorts[2 * 64 + 1] = "";
  size_t ns = 0;
  if (!opts) return cli_fail(cmd, peil_error(PEIL_ENOMEM, "out of memory"));
  for (size_t i = 0; i < n; i++) {
    opts[i] = (struct option){args[i].name, args[i].takes_value ? required_argument : no_argument, 0,
                              args[i].short_name ? args[i].short_name : 256 + (int)i};
    if (args[i].short_name && ns + 2 < sizeof shorts) {
      shorts[ns++] = args[i].short_name;
      if (args[i].takes_value) shorts[ns++] = ':';
    }
  }
  int c, status = 0, at = 1;
  optind = 1;
  opterr = 0; /* our own message, with the command's name */
  while (!status && (at = optind, c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
    const cli_arg *a = NULL;
    if (c >= 256) a = &args[c - 256];
    else
      for (size_t i = 0; i < n && !a; i++)
        if (args[i].short_name == c) a = &args[i];
    if (!a) {
      status = cli_usage(cmd, "unknown or incomplete option '%s'", argv[at < argc ? at : argc - 1]);
      break;
    }
    if (strcmp(a->name, "help") == 0) {
      status = 1;
      break;
    }
    int rc = set(ctx, a->name, a->takes_value ? optarg : NULL);
    if (rc == PEIL_ENOMEM) status = cli_fail(cmd, rc);
    else if (rc) status = cli_usage(cmd, "--%s %s", a->name, peil_errmsg());
  }
  free(opts);
  *first_operand = optind;
  return status;
}

/* yes/no, true/false, 1/0, on/off: 1, 0, or -1. */
static int flag_value(const char *v) {
  static const char *const yes[] = {"yes", "true", "1", "on"}, *const no[] = {"no", "false", "0", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(v, yes[i]) == 0) return 1;
    if (strcasecmp(v, no[i]) == 0) return 0;
  }
  return -1;
}

/* "formula, table, where, ..." of the keys a section takes. */
static void key_list(const cli_arg *args, const char *const *own, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; own && own[i] && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", own[i]);
  for (const cli_arg *a = args; a->name && used < len; a++)
    if (a->in_spec) used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", a->name);
}

int cli_args_from_spec(const peil_spec_file *f, const char *section, const cli_arg *args,
                       const char *const *own, cli_arg_setter set, void *ctx) {
  for (size_t i = 0; i < f->n; i++) {
    const peil_spec_entry *e = &f->entries[i];
    if (strcmp(e->section, section) != 0) continue;
    int mine = 0;
    for (size_t k = 0; own && own[k] && !mine; k++) mine = strcmp(own[k], e->key) == 0;
    if (mine) continue;
    const cli_arg *a = cli_args_find(args, e->key);
    if (!a || !a->in_spec) {
      char keys[1024];
      key_list(args, own, keys, sizeof keys);
      if (a)
        return peil_error(PEIL_EINVAL, "%s:%d: [%s] '%s' is an option of the command line, not a key "
                          "of a spec (keys: %s)", f->path, e->line, section, e->key, keys);
      return peil_error(PEIL_EINVAL, "%s:%d: [%s] unknown key '%s' (keys: %s)", f->path, e->line,
                        section, e->key, keys);
    }
    const char *value = e->value;
    if (!a->takes_value) {
      int on = flag_value(value);
      if (on < 0)
        return peil_error(PEIL_EINVAL, "%s:%d: [%s] %s = %s: expected yes or no", f->path, e->line,
                          section, e->key, value);
      if (!on) continue;
      value = NULL;
    }
    int rc = set(ctx, a->name, value);
    if (rc == PEIL_ENOMEM) return rc;
    if (rc) {
      char msg[1024];
      snprintf(msg, sizeof msg, "%s", peil_errmsg()); /* peil_error writes where it reads */
      return peil_error(rc, "%s:%d: [%s] %s %s", f->path, e->line, section, e->key, msg);
    }
  }
  return PEIL_OK;
}

int cli_args_set_csv(peil_csv_options *csv, const char *key, const char *v) {
  if (strcmp(key, "delimiter") == 0) {
    if (cli_parse_csv_char(v, &csv->delimiter))
      return peil_error(PEIL_EINVAL, "takes one character (or 'tab'), not '%s'", v);
  } else if (strcmp(key, "decimal") == 0) {
    if (cli_parse_csv_char(v, &csv->decimal) || (csv->decimal != '.' && csv->decimal != ','))
      return peil_error(PEIL_EINVAL, "takes '.' or ',', not '%s'", v);
  } else if (strcmp(key, "schema") == 0) {
    csv->schema_path = v;
  } else {
    return 1;
  }
  return PEIL_OK;
}

int cli_args_whole(const char *v, long long lo, long long hi, long long *x) {
  if (cli_parse_long(v, x) || *x < lo || *x > hi)
    return peil_error(PEIL_EINVAL, "must be a whole number from %lld to %lld, not '%s'", lo, hi, v);
  return PEIL_OK;
}
