policy "stages" {
  version  = "1"
  currency = "EUR"
}

metric "a" { better = "higher" }
metric "d" {
  expr = "a + score.s" # ERROR stage-order "cannot use score.s: it is computed after derived metrics"
}

target "t" {
  metric = "a"
  goal   = 1
  when   = "target.u.met" # ERROR stage-order "cannot use target.u.met"
}

target "u" {
  metric = "a"
  goal   = "team.avg.a" # team statistics are fine for targets
}

scorecard "s" {
  weights = { t = 50, u = 50 }
}

breach "b" {
  when = "breach.c" # ERROR stage-order "cannot use breach.c"
}

breach "c" {
  when = "score.s < 1 && band.s == '' && !target.t.met && breaches.any > 0" # ERROR stage-order "cannot use breaches.any"
}

incentive "i" {
  amount = "breaches.major * 10 + (breach.c ? 1 : 0) + score.s"
}
