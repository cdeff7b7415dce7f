target "aht" {
  label      = { en = "Handle time", id = "Waktu penanganan" }
  metric     = "aht"
  goal       = "tenure_days < 90 ? 360 : aht_goal" # new starters get a softer goal
  threshold  = 420
  stretch    = 240
  sample     = "handled"
  min_sample = 50
  severity   = "major"
}

target "fcr" {
  label      = { en = "First contact resolution", id = "Selesai di kontak pertama" }
  metric     = "fcr"
  goal       = 0.75
  threshold  = 0.6
  stretch    = 0.85
  sample     = "handled"
  min_sample = 50
}

target "csat" {
  label      = { en = "Customer satisfaction", id = "Kepuasan pelanggan" }
  metric     = "csat"
  goal       = 0.85
  threshold  = 0.7
  stretch    = 0.95
  sample     = "surveys" # ten responses can swing CSAT by a band
  min_sample = 20
}

target "adherence" {
  label     = { en = "Schedule adherence", id = "Kepatuhan jadwal" }
  metric    = "adherence"
  goal      = 0.9
  threshold = 0.8
  curve     = [[0.8, 0], [0.9, 1], [0.95, 1.2]]
  severity  = "minor"
}

target "aht_vs_team" {
  label     = { en = "Handle time vs team", id = "Waktu penanganan dibanding tim" }
  format    = "number"
  decimals  = 3
  title     = "Handle time against the team average"
  value     = "aht / team.avg.aht"
  better    = "lower"
  goal      = 1.0
  threshold = 1.25
  when      = "handled >= 50"
  severity  = "minor"
}

scorecard "quality" {
  label   = { en = "Agent quality", id = "Kualitas agen" }
  title   = "Agent quality"
  weights = { aht = 20, fcr = 25, csat = 35, adherence = 20 }
  missing = "reweight"

  band "outstanding" { min = 1.10 }
  band "strong" { min = 1.00 }
  band "developing" { min = 0.85 }
  band "below" { min = 0 }
}

breach "qa_autofail" {
  label    = { en = "QA auto-fail", id = "Gagal otomatis QA" }
  title    = "QA auto-fail recorded"
  when     = "qa_autofails > 0"
  severity = "critical"
  message  = { en = "QA auto-fail recorded ${qa_autofails} time(s)", id = "Gagal otomatis QA tercatat ${qa_autofails} kali" }
}
