policy "bounds" {
  version  = "1"
  currency = "EUR"
}

metric "aht" { better = "lower" }
metric "csat" { better = "higher" }
metric "rate" {
  min     = 1
  max     = 0 # ERROR bounds-order "max 0 is below min 1"
  default = 5 # ERROR bounds-order "default 5 is outside min/max"
}

target "aht" {
  metric    = "aht"
  goal      = 300
  threshold = 250 # ERROR bounds-order "threshold 250 and goal 300 are out of order for lower is better"
  stretch   = 240
}

target "csat" {
  metric    = "csat"
  goal      = 0.8
  threshold = 0.6
  stretch   = 0.7 # ERROR bounds-order "goal 0.8 and stretch 0.7 are out of order for higher is better"
}

target "zero_goal" {
  metric = "csat"
  goal   = 0 # ERROR bounds-order "cannot be scored as a ratio"
}

target "curvy" {
  metric  = "csat"
  goal    = 1
  curve   = [[1, 1], [2, 1.5]]
  scoring = "binary" # ERROR conflict "replaces scoring"
}

target "sample" {
  metric     = "csat"
  goal       = 1
  min_sample = 5 # ERROR missing-attribute "min_sample but no sample"
}

incentive "i" {
  amount = 10
  cap    = 5
  floor  = 6 # ERROR bounds-order "floor 6 is above cap 5"
}
