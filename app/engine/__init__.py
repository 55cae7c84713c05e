"""The workflow engine: SpiffWorkflow 3.2.0 made durable, concurrent and auditable — running cases. Authoring
models (validation, deploy, previews, migration) is the studio's (app/studio), which may import the engine.

- `models`      process versions, instances, human tasks, incidents, notifications
- `language`    the model language: namespaces, task properties, the timer expressions deadline()/reminder()
- `sandbox`     the one evaluator of model code (RestrictedPython, a step and time budget)
- `registry`    deployed versions, the latest one, and the parsed-spec cache
- `scripting`   the script engine: injected functions (deadline, …), the clock, service-task calls
- `operations`  named service operations that BPMN service tasks call
- `store`       the one place that loads and saves an instance (serializer, human-task rows, timers)
- `runtime`     use cases: start, claim, complete, reassign, timers, messages, incidents
- `forms`       JSON-schema form validation with per-field Chinese messages
- `queries`     the inbox scopes, one query for the pages and the API
"""
