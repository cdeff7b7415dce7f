# Inputs come from the ACD and QA exports; rates are derived here from
# their numerators and denominators, never averaged.

metric "handled" {
  title  = "Calls handled"
  better = "higher"
  min    = 0
}

metric "aht" {
  format = "duration"
  title  = "Average handle time"
  unit   = "s"
  better = "lower"
  min    = 0
  max    = 7200
}

metric "resolved_first" {
  title = "Calls resolved on first contact"
  min   = 0
}

metric "surveys" {
  title = "Survey responses"
  min   = 0
}

metric "satisfied" {
  title = "Satisfied responses (4 or 5 of 5)"
  min   = 0
}

metric "adherence" {
  format = "percent"
  title  = "Schedule adherence"
  better = "higher"
  min    = 0
  max    = 1
}

metric "qa_autofails" {
  title   = "QA auto-fail answers"
  better  = "lower"
  min     = 0
  default = 0
}

metric "days_worked" {
  title = "Days worked in the month"
  min   = 0
  max   = 31
}

metric "fcr" {
  format = "percent"
  title  = "First contact resolution"
  better = "higher"
  expr   = "ratio(resolved_first, handled)"
}

metric "csat" {
  format = "percent"
  title  = "Customer satisfaction"
  better = "higher"
  expr   = "ratio(satisfied, surveys)"
}
