"""Domain errors: anything a user can cause. The CLI turns these into one red line."""


class AlssError(Exception):
    """Base for errors that are the user's input, not a bug in the tool."""


class ConfigError(AlssError):
    """A config file or override that does not describe a valid run.

    `problems` holds every (key, message) found at once; the text is one line per problem,
    "key: message".
    """

    def __init__(self, message: str = "", problems: list[tuple[str, str]] | None = None):
        if problems is None:
            key, sep, rest = message.partition(": ")
            problems = [(key, rest)] if sep else [("", message)]
        self.problems = list(problems)
        super().__init__(message or "\n".join(f"{k}: {m}" if k else m for k, m in self.problems))


class DataError(AlssError):
    """A dataset that is missing, malformed or not what the config says."""


class StoreError(AlssError):
    """A run folder, registry or checkpoint that cannot be read or written."""


class LabelError(AlssError):
    """Labels that do not fit the round they are meant for."""


class ExecutorError(AlssError):
    """A back end that cannot run a bench's cells (Ray missing, a cluster out of reach)."""


class BenchError(AlssError):
    """A bench summary or verdict rule that cannot be read, or benches that do not fit a rule."""


class MissingRuns(BenchError):
    """A verdict step whose benches, strategies or seeds have not run yet: the step is pending, not wrong."""
