"""The analyst studio: authoring process models, apart from running cases (app/engine).

- `validation`   what `govshare bpmn validate` checks, in words an analyst understands
- `deploy`       validate and deploy new immutable versions
- `compare`      版本对比: a changed model in words
- `trial`        期限试算: the due dates a changed model would give
- `simulation`   路径试运行: every path of a changed model, nothing written
- `uploads`      uploaded models and their reports; `drafts` models edited in the browser
- `form_editor`  task forms edited as rows of fields
- `migration`    moving running cases to a newer version
- `decisions`    decision tables evaluated outside a case

The studio may import the engine; the engine imports neither the studio nor an area (tests/unit/test_architecture.py).
"""
