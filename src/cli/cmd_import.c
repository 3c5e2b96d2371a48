/* TEMPORARY during development of issue 2: replaced by the real command. */
#include "cli.h"
int cmd_import(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return cli_usage("import", "this command is being written");
}
