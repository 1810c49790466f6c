"""Helpers every test folder imports (tests/ is on pytest's `pythonpath`): data paths, small files, places."""
