"""The workflow engine: SpiffWorkflow 3.2.0 made durable, concurrent and auditable.

- `models`      process versions, instances, human tasks, incidents, notifications
- `validation`  what `govshare bpmn validate` checks, in words an analyst understands
- `registry`    deployment of immutable process versions and the parsed-spec cache
- `scripting`   the script engine: injected functions (deadline, …), the clock, service-task calls
- `operations`  named service operations that BPMN service tasks call
- `store`       the one place that loads and saves an instance (serializer, human-task rows, timers)
- `runtime`     use cases: start, claim, complete, reassign, timers, messages, incidents
- `forms`       JSON-schema form validation with per-field Chinese messages
- `scheduler`   APScheduler job that wakes due timers
"""
