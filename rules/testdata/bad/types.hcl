policy "types" {
  version = "1"
}

metric "a" { better = "higher" }
attribute "level" { type = "string" }
attribute "flag" { type = "bool" }

target "t1" {
  metric = "a"
  goal   = "level + 1" # ERROR expression "arithmetic needs numbers"
}

target "t2" {
  metric = "a"
  goal   = 1
  when   = "a > 1 &&" # ERROR expression "ends too early"
}

target "t3" {
  metric = "a"
  goal   = 1
  when   = "a" # ERROR expression "must be a condition"
}

target "t4" {
  metric = "a"
  goal   = aht_goal # ERROR not-constant "expressions must be written as strings: use \"aht_goal\""
}

target "t5" {
  metric = "a"
  goal   = "${a}" # ERROR interpolation "not allowed inside an expression string"
}

target "t6" {
  metric = "a"
  goal   = "min(a, 2, 3) + max(1, a) + clamp(a, 0, 1) + abs(a) + round(a, 2) + ratio(a, 2) + nps(a, a, a) + (flag ? 1 : 0)"
}
