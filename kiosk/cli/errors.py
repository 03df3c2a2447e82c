"""How a command fails: one clear line on stderr, exit 2 for bad config, 1 for anything else."""
import click


class CommandError(click.ClickException):
    """One clear line on stderr; exit 2 for bad config, 1 for other failures."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(f"hymy: {self.format_message()}", err=True)
