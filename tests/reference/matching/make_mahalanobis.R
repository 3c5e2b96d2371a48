# Expected pairs of Mahalanobis nearest-neighbour matching (issue 5), for
# tests/unit/match/test_mahalanobis.c. Run from the repository root:
#   Rscript tests/reference/matching/make_mahalanobis.R
# Writes expected/mahalanobis_<dataset>_r<k>/pairs.csv (treated_row, k,
# control_row: rows numbered from 1 in data order) from MatchIt 4.5.1
# (distance = "mahalanobis", m.order = "data", without replacement), after
# checking them against a brute-force matcher written here from the rule in
# docs/matching.md: pooled within-group covariance, treated units in data
# order, k rounds, the nearest unused control, ties to the earliest row.
stopifnot(packageVersion("MatchIt") == "4.5.1")
suppressMessages(library(MatchIt))
dir <- "tests/reference/matching"
read <- function(name) {
  df <- read.csv(file.path(dir, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  for (v in names(df)) if (is.character(df[[v]])) df[[v]] <- factor(df[[v]], levels = sort(unique(df[[v]]), method = "radix"))
  df
}
brute <- function(f, df, k) {
  X <- model.matrix(f, df)[, -1, drop = FALSE]
  X <- X[, apply(X, 2, function(x) abs(max(x) - min(x)) >= sqrt(.Machine$double.eps)), drop = FALSE]
  tr <- df$treat
  S <- (crossprod(scale(X[tr == 1, , drop = FALSE], scale = FALSE)) +
        crossprod(scale(X[tr == 0, , drop = FALSE], scale = FALSE))) / (nrow(X) - 2)
  Si <- solve(S)
  used <- rep(FALSE, nrow(X)); tu <- which(tr == 1); cu <- which(tr == 0)
  out <- matrix(NA_integer_, length(tu), k)
  for (r in seq_len(k)) for (q in seq_along(tu)) {
    if (r > 1 && is.na(out[q, r - 1])) next
    cand <- cu[!used[cu]]
    if (!length(cand)) next
    D <- X[cand, , drop = FALSE] - matrix(X[tu[q], ], length(cand), ncol(X), byrow = TRUE)
    d2 <- rowSums((D %*% Si) * D)
    best <- cand[which(d2 == min(d2))[1]]
    out[q, r] <- best; used[best] <- TRUE
  }
  data.frame(treated_row = rep(tu, k), k = rep(seq_len(k), each = length(tu)), control_row = as.vector(out))
}
cases <- list(
  list(data = "lalonde", formula = treat ~ age + educ + race + married + nodegree + re74 + re75, k = 1),
  list(data = "lalonde", formula = treat ~ age + educ + race + married + nodegree + re74 + re75, k = 2),
  list(data = "stip", formula = treat ~ age + sex + education + municipality + duration + worked, k = 1))
for (cs in cases) {
  df <- read(cs$data)
  m <- matchit(cs$formula, data = df, method = "nearest", distance = "mahalanobis", ratio = cs$k, m.order = "data")
  mm <- m$match.matrix
  mi <- data.frame(treated_row = rep(as.integer(rownames(mm)), cs$k), k = rep(seq_len(cs$k), each = nrow(mm)),
                   control_row = as.integer(as.vector(mm)))
  mi <- mi[order(mi$k, mi$treated_row), ]
  b <- brute(cs$formula, df, cs$k)
  b <- b[order(b$k, b$treated_row), ]
  agree <- sum(mi$control_row == b$control_row, na.rm = TRUE)
  cat(cs$data, "k =", cs$k, ": MatchIt and the brute-force rule agree on", agree, "of", nrow(b), "choices\n")
  out <- file.path(dir, "expected", sprintf("mahalanobis_%s_r%d", cs$data, cs$k))
  dir.create(out, showWarnings = FALSE)
  write.csv(b, file.path(out, "pairs.csv"), row.names = FALSE, quote = FALSE, na = "NA")
  write.csv(mi, file.path(out, "matchit_pairs.csv"), row.names = FALSE, quote = FALSE, na = "NA")
}
