"""Every error digest shows a user. Each says ``path:line: what is wrong`` and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable


class DigestError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, path: str | None = None, line: int | None = None, hint: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(str(self))

    @property
    def location(self) -> str | None:
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(DigestError):
    """``digest.yaml`` is missing, unreadable or invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[DigestError]):
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__(first.message, first.path, first.line, first.hint)

    def __str__(self) -> str:
        lines = [f"invalid configuration ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  {DigestError.__str__(p)}".replace("\n", "\n  ") for p in self.problems]
        return "\n".join(lines)


class ContentError(DigestError):
    """The content folder itself is unusable (missing, not a folder)."""


class TemplateError(DigestError):
    """A template cannot be loaded or rendered; names the template file and line."""


class StrictModeError(DigestError):
    """Warnings were reported and ``--strict`` turns them into a failure."""

    exit_code = 1


class BuildError(DigestError):
    """The build stopped; the previous output is left as it was."""


class DeployError(DigestError):
    """``digest deploy`` refused or failed."""


class ServeError(DigestError):
    """``digest serve`` cannot start (for example, its port is taken)."""
