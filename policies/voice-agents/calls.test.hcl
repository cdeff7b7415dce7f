# Tests of the call KPIs counted from the call export (rollup.hcl): each
# test's rows are calls as the export writes them, counted as
# `rubric rollup` counts them; values gives what the export has not.

test "a few days of calls: too few for the targets" {
  subject = "A-3001"
  period  = "2026-10"
  values  = { adherence = 0.93, qa_autofails = 0, tenure_days = 400, base_pay = 3000 }
  # Handled: three answered inbound calls (not the unanswered one, not the
  # outbound one). Handle time (300 + 360 + 240) / 3 = 300 s. Resolved on
  # first contact: one (one was repeated within 7 days, one unresolved).
  # Surveys 2, both satisfied. Days worked: 1 and 2 October (the outbound
  # call on the 3rd does not count).
  rows = [
    { "Start Time" = "2026-10-01 09:00:00", Team = "west", Direction = "Inbound", Answered = "Y",
    "Talk Time" = "0:04:00", "Hold Time" = "0:00:30", "Wrap-up Time" = "0:00:30", Resolved = "Y", "Repeat Within 7 Days" = "N", "Survey Score" = 5 },
    { "Start Time" = "2026-10-01 10:00:00", Team = "west", Direction = "Inbound", Answered = "Y",
    "Talk Time" = "0:05:00", "Hold Time" = "0:00:00", "Wrap-up Time" = "0:01:00", Resolved = "Y", "Repeat Within 7 Days" = "Y", "Survey Score" = 4 },
    { "Start Time" = "2026-10-02 11:00:00", Team = "west", Direction = "Inbound", Answered = "y",
    "Talk Time" = "0:03:30", "Hold Time" = "0:00:00", "Wrap-up Time" = "0:00:30", Resolved = "N", "Repeat Within 7 Days" = "N" },
    { "Start Time" = "2026-10-02 12:00:00", Team = "west", Direction = "Inbound", Answered = "N" },
    { "Start Time" = "2026-10-03 13:00:00", Team = "west", Direction = "Outbound", Answered = "Y",
    "Talk Time" = "0:10:00", "Hold Time" = "0:00:00", "Wrap-up Time" = "0:00:00", Resolved = "Y", "Repeat Within 7 Days" = "N" },
  ]
  expect {
    target "aht" {
      status = "no_data" # 3 calls, 50 needed
      value  = 300
    }
    target "fcr" {
      status = "no_data"
      value  = 0.3333333333333333
    }
    target "csat" { status = "no_data" } # 2 surveys, 20 needed
  }
}

test "a call at 00:30 on 1 October in Jakarta is October's" {
  subject = "A-3001"
  period  = "2026-10"
  values  = { adherence = 0.93, qa_autofails = 0, tenure_days = 400, base_pay = 3000 }
  # 17:30 UTC on 30 September: still September in UTC, October in
  # Jakarta, the rollup's time zone (a row of another period than the
  # test's would fail it).
  rows = [
    { "Start Time" = "2026-09-30T17:30:00Z", Team = "west", Direction = "Inbound", Answered = "Y",
    "Talk Time" = "0:02:00", "Hold Time" = "0:00:00", "Wrap-up Time" = "0:00:30", Resolved = "Y", "Repeat Within 7 Days" = "N" },
  ]
  expect {
    target "aht" {
      status = "no_data"
      value  = 150
    }
  }
}
