"""Supervision (办法§26–§31): statistics, data calls and availability, reports, rectification, scorecards, and
the audit viewer."""
