"""The one INI reader: config loading and the secrets commands parse files the same way.

``configparser`` with the key case kept (``UseVPCe``), no interpolation (a ``%`` in a
secret is just a character), and no magic ``[DEFAULT]`` section (the seed's ``[default]``
is an ordinary section, and values of one section never leak into another). Duplicate
sections or keys are a mistake the reader names instead of silently keeping the last one,
and a section header without its closing ``]`` is reported as exactly that (configparser
would call the line "a value outside any section" or "not Key = value").
"""

from __future__ import annotations

import configparser
import io
import re

from workshop.errors import ConfigError

__all__ = ["new_parser", "parse_ini", "render_ini"]

# A name no file can contain, so configparser's magic default section never matches one.
_NO_DEFAULT_SECTION = "\x00no-default-section"
_UNCLOSED_HEADER = re.compile(r"^\[[^\]]*$")


def new_parser() -> configparser.RawConfigParser:
    """An empty parser with the workshop's settings (key case kept, no default section)."""
    parser = configparser.RawConfigParser(default_section=_NO_DEFAULT_SECTION, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case (UseVPCe)
    return parser


def _unclosed_header(text: str) -> tuple[int, str] | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.rstrip()
        # Only unindented lines: an indented line continues the previous value.
        if stripped and not line[0].isspace() and _UNCLOSED_HEADER.match(stripped):
            return number, stripped
    return None


def parse_ini(text: str, *, source: str = "config") -> configparser.RawConfigParser:
    """Parse INI text; any syntax problem is one ConfigError naming the line and the fix."""
    unclosed = _unclosed_header(text)
    if unclosed is not None:
        number, line = unclosed
        raise ConfigError(f"line {number}: the section header {line!r} has no closing ']'",
                          source=source, fix=f"end the line with ']', e.g. {line}]")
    parser = new_parser()
    try:
        parser.read_string(text, source=source)
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(f"line {exc.lineno}: a value outside any section (no [section] header before it)",
                          source=source,
                          fix="start the file with a section header such as [default] or [workshop]") from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(f"line {exc.lineno}: section [{exc.section}] appears twice",
                          source=source, fix="merge the two sections") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(f"line {exc.lineno}: {exc.option} appears twice in [{exc.section}]",
                          source=source, field=exc.option, fix="keep one of them") from None
    except configparser.ParsingError as exc:
        lines = ", ".join(str(n) for n, _ in exc.errors[:3])
        raise ConfigError(f"line {lines}: not 'Key = value'", source=source,
                          fix="write one Key = value per line under a [section]") from None
    except configparser.Error as exc:
        raise ConfigError(f"not a valid INI file ({type(exc).__name__})", source=source,
                          fix="check the file's sections and Key = value lines") from None
    return parser


def render_ini(parser: configparser.RawConfigParser) -> str:
    """The parser as INI text (``Key = value``), sections and keys in their original order."""
    out = io.StringIO()
    parser.write(out)
    return out.getvalue().rstrip("\n") + "\n"
