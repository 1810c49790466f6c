"""The one kind of error a user sees: bad input, said in one clear line."""


class InputError(Exception):
    """Bad input from the user: a file, a row, a setting. The CLI exits 2 with its message."""
