"""Share applications and authorizations (办法§12–§22, §24): the applicant's case, per-resource decisions, and the
authorization records that later checks enforce."""
