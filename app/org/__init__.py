"""Organisation: regions, sharing platforms, departments, users and their roles."""
