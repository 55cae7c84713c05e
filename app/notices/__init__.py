"""Notices: in-app notifications, the e-mail outbox and the daily digest (#15); the `notify` operation."""
