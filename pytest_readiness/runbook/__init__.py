"""The runbook domain: the team's Markdown runbook is the source of truth.

`lines` parses the runbook's checklist lines and binds checks to them; `binding` is what
the run asks of the runbook (bind the plan, add the manual lines, apply the records);
`signoffs` and `waivers` are the human records, `records` what they share.
"""
