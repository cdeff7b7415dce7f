policy "cycle" {
  version = "1"
}

metric "x" {
  expr = "y + 1" # ERROR cycle "derived metrics form a cycle: x → y → x"
}

metric "y" {
  expr = "x * 2"
}

metric "z" {
  expr    = "1"
  default = 1 # ERROR conflict "derived \(expr\), so it cannot have default"
}
