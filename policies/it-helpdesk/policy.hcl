# IT help desk: monthly service scorecard and a ticket-volume incentive.
#
# One snapshot is one analyst's month. Rates are computed from their counts
# so they can be recomputed and rolled up.

policy "it_helpdesk" {
  title    = "IT help desk: monthly service scorecard and ticket incentive"
  version  = "2026.11.0"
  owner    = "servicedesk@example.com"
  language = "expr"
  currency = "USD"
  period   = "month"
  history  = 2 # expressions may look back on the two months before
}

attribute "level" {
  title = "Support level (L1, L2)"
  type  = "string"
}

metric "first_response_min" {
  title  = "Median first response time"
  unit   = "min"
  better = "lower"
  min    = 0
}

metric "resolution_hours" {
  title  = "Median resolution time"
  unit   = "h"
  better = "lower"
  min    = 0
}

metric "tickets_resolved" {
  title  = "Tickets resolved"
  better = "higher"
  min    = 0
}

metric "resolved_first_time" {
  title = "Tickets resolved without reassignment or follow-up"
  min   = 0
}

metric "escalated" {
  title = "Tickets escalated to another team"
  min   = 0
}

metric "reopened" {
  title = "Tickets reopened within 7 days"
  min   = 0
}

metric "surveys" { min = 0 }
metric "satisfied" { min = 0 }

metric "ftr" {
  format = "percent"
  title  = "First-time resolution"
  better = "higher"
  expr   = "ratio(resolved_first_time, tickets_resolved)"
}

metric "escalation_rate" {
  format = "percent"
  better = "lower"
  expr   = "ratio(escalated, tickets_resolved)"
}

metric "repeat_rate" {
  format = "percent"
  better = "lower"
  expr   = "ratio(reopened, tickets_resolved)"
}

metric "csat" {
  format = "percent"
  better = "higher"
  expr   = "ratio(satisfied, surveys)"
}

metric "csat_quarter" {
  format = "percent"
  title  = "CSAT pooled over the quarter (small monthly samples)"
  better = "higher"
  expr   = "ratio(window.sum.satisfied, window.sum.surveys)"
}

target "first_response" {
  label     = { en = "First response", id = "Respons pertama" }
  metric    = "first_response_min"
  goal      = "level == 'L2' ? 60 : 30"
  threshold = 120
  stretch   = 15
}

target "resolution" {
  label     = { en = "Resolution time", id = "Waktu penyelesaian" }
  metric    = "resolution_hours"
  goal      = 8
  threshold = 24
  stretch   = 4
}

target "ftr" {
  label     = { en = "First-time resolution", id = "Selesai sekali jalan" }
  metric    = "ftr"
  goal      = 0.7
  threshold = 0.5
}

target "escalation" {
  label     = { en = "Escalations", id = "Eskalasi" }
  metric    = "escalation_rate"
  goal      = 0.1
  threshold = 0.2
  scoring   = "binary"
}

target "repeat" {
  label     = { en = "Reopened tickets", id = "Tiket dibuka ulang" }
  metric    = "repeat_rate"
  goal      = 0.05
  threshold = 0.1
  scoring   = "binary"
  severity  = "major"
}

target "csat" {
  label      = { en = "Customer satisfaction", id = "Kepuasan pelanggan" }
  metric     = "csat"
  goal       = 0.85
  threshold  = 0.7
  sample     = "surveys"
  min_sample = 10
}

target "volume" {
  label  = { en = "Tickets resolved", id = "Tiket terselesaikan" }
  title  = "Resolve 1200 tickets a month"
  value  = "tickets_resolved"
  better = "higher"
  goal   = 1200
  cap    = 1.25
}

scorecard "service" {
  label   = { en = "Service", id = "Layanan" }
  weights = { first_response = 15, resolution = 15, ftr = 20, escalation = 10, repeat = 10, csat = 20, volume = 10 }

  band "excellent" { min = 1.05 }
  band "good" { min = 0.95 }
  band "needs_focus" { min = 0 }
}

breach "sla_missed" {
  label    = { en = "SLA missed", id = "SLA terlewat" }
  title    = "First response far beyond the SLA"
  when     = "first_response_min > 240"
  severity = "critical"
  message  = { en = "median first response ${first_response_min} min", id = "median respons pertama ${first_response_min} menit" }
}

breach "coaching" {
  label    = { en = "Coaching due", id = "Perlu coaching" }
  title    = "CSAT missed three months in a row: a coaching conversation is due"
  when     = "streak.target.csat.missed >= 3"
  severity = "minor"
}

incentive "ticket_volume" {
  label = { en = "Ticket volume", id = "Volume tiket" }
  title = "Ticket volume: $0.50 a ticket from 1200, $1.00 from 1500"
  code  = "TKT1"

  gate "quality_held" { when = "target.repeat.status != 'breached' && !breach.sla_missed" }

  units    = "tickets_resolved"
  schedule = "graduated"
  rate "base" {
    from     = 1200
    per_unit = 0.50
  }
  rate "accelerated" {
    from     = 1500
    per_unit = 1.00
  }
  cap      = 600
  rounding = "half_even"
}

incentive "service_bonus" {
  label = { en = "Service bonus", id = "Bonus layanan" }
  title = "Service bonus by band"
  code  = "SVC1"
  gate "no_critical" { when = "breaches.critical == 0" }
  basis = 250
  tier "excellent" {
    when       = "band.service == 'excellent'"
    multiplier = 1.2
  }
  tier "good" {
    when       = "band.service == 'good'"
    multiplier = 1
  }
  rounding = "half_even"
}

incentive "consistency" {
  label = { en = "Consistency kicker", id = "Bonus konsistensi" }
  title = "Consistency kicker: CSAT met every month of the quarter"
  code  = "CON1"
  gate "every_month" { when = "window.periods == 3 && window.target.csat.met == 3" }
  basis = 100
  tier "pooled" {
    when       = "csat_quarter >= 0.9 && tickets_resolved >= 1000"
    multiplier = 1
  }
  rounding = "half_even"
}
