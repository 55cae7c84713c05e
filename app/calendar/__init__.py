"""The statutory working-day calendar (工作日) and the deadline rules every "N个工作日" clock uses.

Pure domain code lives in `arrangement`, `statutory`, `core` and `deadlines` (no Flask, no database);
`services` binds it to the stored, versioned data; `views` and `cli` are its faces.
"""
