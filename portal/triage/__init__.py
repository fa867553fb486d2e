"""Triage rules that know no Flask request: priority, the status workflow, case files, alerts."""
