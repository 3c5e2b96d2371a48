# Nearest-neighbour matching on a logit propensity score with R's MatchIt,
# the R side of benchmarks/match.sh.
#
#   Rscript benchmarks/match_matchit.R DATA.csv 'treat ~ age + x1 + ...'
#
# Reads DATA.csv (data.table::fread; text columns become factors with
# levels in byte order, as peil orders enum labels), then times
#   match    m <- matchit(formula, data, method = "nearest")   (MatchIt's
#            defaults: logit score by glm, 1:1, without replacement, no
#            caliper, largest score first)
#   summary  s <- summary(m)   (balance before and after: means, SMDs,
#            variance ratios, eCDF statistics; sample sizes)
# and prints one line "seconds: read R match M summary S" and the matched
# sample sizes "matched: treated T control C". Nothing else is printed on
# success.
suppressPackageStartupMessages({
  library(MatchIt)
  library(data.table)
})
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 2)
invisible(Sys.setlocale("LC_COLLATE", "C"))
t_read <- system.time({
  df <- as.data.frame(fread(args[1], showProgress = FALSE))
  for (v in names(df)) if (is.character(df[[v]])) df[[v]] <- factor(df[[v]], levels = sort(unique(df[[v]])))
})[["elapsed"]]
f <- as.formula(args[2])
t_match <- system.time(m <- matchit(f, data = df, method = "nearest"))[["elapsed"]]
t_summary <- system.time(s <- summary(m))[["elapsed"]]
cat(sprintf("seconds: read %.2f match %.2f summary %.2f\n", t_read, t_match, t_summary))
nn <- s$nn
cat(sprintf("matched: treated %d control %d\n", as.integer(nn["Matched", "Treated"]),
            as.integer(nn["Matched", "Control"])))
cat(sprintf("MatchIt %s, R %s\n", as.character(packageVersion("MatchIt")), getRversion()))
