# Voice agents: monthly scorecard and bonus.
#
# One snapshot is one agent's month. The scorecard weighs handle time, first
# contact resolution, CSAT and schedule adherence; the bonus is 10% of base
# pay times a multiplier by scorecard band, prorated for days worked.

policy "contact_center" {
  title    = "Voice agents: monthly scorecard and bonus"
  version  = "2026.10.1"
  owner    = "ops-west@example.com"
  language = "cel"
  currency = "EUR"
  period   = "month"
}

attribute "tenure_days" {
  title = "Days since hire"
  type  = "number"
}

attribute "base_pay" {
  title    = "Monthly base pay"
  type     = "money"
  required = true
}

param "aht_goal" {
  title = "Handle time goal for agents past onboarding"
  value = 300
}
