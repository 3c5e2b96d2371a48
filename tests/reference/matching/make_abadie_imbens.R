#!/usr/bin/env Rscript
# Abadie-Imbens standard errors of nearest-neighbour matching with replacement
# from the Matching package (Sekhon), for peil's test_abadie_imbens:
#
#   Rscript tests/reference/matching/make_abadie_imbens.R   # from the repository root
#
# writes tests/reference/matching/ai/{data,pairs,se}.csv. Deterministic
# (set.seed); R 4.2.2 and Matching 4.10-8 (Debian r-cran-matching).
#
# A continuous score without ties (the Matching package keeps every tied
# control, peil the first in the data; without ties both take the same k
# nearest controls), matched with replacement on x itself, M = 1, 2 controls,
# ATT and ATC. `se` is Matching's Abadie-Imbens standard error of the
# population effect (its var.pop: sum over focal units of (Y_i - Yhat_i -
# est)^2 plus sum over matched units of (K^2 - KK) sigma^2, over N^2).
#
# The conditional variances come from J = 1 same-group neighbour only
# (Var.calc = 1): there Matching's estimate, the sample variance of the unit
# and its J neighbours, equals Abadie and Imbens' (2006) J/(J+1) (Y_i -
# mean of the J neighbours)^2, which peil uses; for J >= 2 the two
# estimators differ (both are unbiased for sigma^2).
stopifnot(packageVersion("Matching") == "4.10.8")
suppressMessages(library(Matching))
root <- "tests/reference/matching/ai"
dir.create(root, showWarnings = FALSE)
set.seed(20250)
n <- 240
x <- round(rnorm(n), 6)
while (anyDuplicated(x)) x <- round(rnorm(n), 6)
treat <- rbinom(n, 1, plogis(-0.8 + 0.9 * x))
y <- round(1 + x + treat * (1 + 0.5 * x) + rnorm(n, sd = 0.5 + 0.5 * abs(x)), 4)
write.csv(data.frame(id = seq_len(n), treat = treat, x = x, y = y),
          file.path(root, "data.csv"), row.names = FALSE, quote = FALSE)
num17 <- function(v) sprintf("%.17g", v)
pairs <- list(); se <- list()
for (est in c("ATT", "ATC")) for (M in 1:2) {
  for (J in 1) {
    m <- Match(Y = y, Tr = treat, X = x, M = M, replace = TRUE, ties = TRUE, Var.calc = J,
               estimand = est, distance.tolerance = 0)
    stopifnot(m$version == "standard")
    # each focal unit has exactly M matches (no ties)
    stopifnot(all(table(if (est == "ATT") m$index.treated else m$index.control) == M))
    se[[length(se) + 1]] <- data.frame(estimand = est, M = M, J = J, estimate = num17(m$est),
                                       std_error = num17(m$se))
  }
  focal <- if (est == "ATT") m$index.treated else m$index.control
  other <- if (est == "ATT") m$index.control else m$index.treated
  # the rounds: the k-th nearest control in round k
  k <- ave(seq_along(focal), focal, FUN = function(i) rank(abs(x[other[i]] - x[focal[i]]), ties.method = "first"))
  pairs[[length(pairs) + 1]] <- data.frame(estimand = est, M = M, focal_row = focal, k = k, match_row = other)
}
p <- do.call(rbind, pairs)
write.csv(p[order(p$estimand, p$M, p$focal_row, p$k), ], file.path(root, "pairs.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, se), file.path(root, "se.csv"), row.names = FALSE, quote = FALSE)
