"""Errors that a person using ARStudio can cause and fix."""


class UserError(Exception):
    """A mistake in the user's input or environment, with a message that says what to do.

    The GUI shows the message and keeps running; the command line prints it and exits 2.
    """
