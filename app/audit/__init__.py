"""Audit trail (§27 全流程审计): one writer, append-only rows, written in the caller's transaction."""
