"""Task inbox, task pages and notifications: where clerks, operators and reviewers work every day."""
