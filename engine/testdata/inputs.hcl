policy "inputs" {
  version        = "1"
  currency       = "EUR"
  period         = "month"
  effective_from = "2026-01-01"
  effective_to   = "2026-12-31"
}
metric "aht" {
  better = "lower"
  min    = 0
  max    = 7200
}
metric "handled" {
  better   = "higher"
  required = true
}
metric "qa" { default = 0 }
metric "rate" {
  better = "higher"
  expr   = "ratio(handled, aht)"
}
attribute "level" { type = "string" }
attribute "remote" { type = "bool" }
attribute "pay" {
  type     = "money"
  required = true
}
target "aht" {
  metric = "aht"
  goal   = 300
}
incentive "i" {
  amount = "pay * 0.01"
}
