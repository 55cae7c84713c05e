"""What the operations team sees (#32): request and job logs, metrics, the 定时任务 page."""
