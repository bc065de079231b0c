"""A name rule as a service model states it (length and pattern) plus AWS's reserved names,
checked without botocore.

botocore's models write patterns as Java regular expressions, with Unicode classes
(`\\p{L}`: letters of any script) that Python's `re` lacks. The patterns the fields use
are one character class repeated (`[...]+` or `[...]*`), so a pattern is read once into
the Unicode categories, ranges and characters it allows, and a name is checked character
by character with `unicodedata`. name_rules.py holds the rules, generated from the models
(model_rules.py); a unit test fails when botocore's models say otherwise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property

import msgspec

from hsm_setup.answers.shown import in_words

# What a Unicode category letter means to a person, in the order names are listed.
_CATEGORY_NAMES = {
    "L": "letters of any script",
    "M": "marks (accents)",
    "S": "symbols",
    "N": "digits",
    "P": "punctuation",
    "Z": "spaces",
}
_WHITESPACE = {
    "\t": "tab",
    "\n": "line break",
    "\r": "line break",
    " ": "space",
    "\u00a0": "no-break space",
    "\u3000": "ideographic space",
}
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
# Characters a model may allow in a name that hsm-setup keeps off it: a name stays on one line.
LINE_BREAKING = frozenset("\t\n\r")


class UnsupportedPattern(ValueError):
    """A model pattern that is not one repeated character class: the generator refuses it."""


class CharClass(msgspec.Struct, frozen=True):
    """The characters one bracketed class of a Java pattern allows."""

    categories: frozenset[str] = frozenset()  # "L", "Lu", ...
    chars: frozenset[str] = frozenset()
    ranges: tuple[tuple[str, str], ...] = ()
    ascii_word: bool = False  # Java's \w without UNICODE_CHARACTER_CLASS: [a-zA-Z_0-9]

    def allows(self, ch: str) -> bool:
        if ch in self.chars:
            return True
        if self.ascii_word and (ch.isascii() and (ch.isalnum() or ch == "_")):
            return True
        if any(low <= ch <= high for low, high in self.ranges):
            return True
        if self.categories:
            category = unicodedata.category(ch)
            return category[0] in self.categories or category in self.categories
        return False

    def describe(self, *, one_line: bool = False) -> str:
        """The allowed characters in words: "letters of any script, marks (accents), ... and punctuation".

        `one_line` leaves out tabs and line breaks, for names hsm-setup keeps on one line.
        """
        parts: list[str] = [name for letter, name in _CATEGORY_NAMES.items() if letter in self.categories]
        if self.ascii_word:
            parts += ["letters", "digits"]
        kept = {ch for ch in self.chars if ch in _WHITESPACE and not (one_line and ch in LINE_BREAKING)}
        spaces = sorted({_WHITESPACE[ch] for ch in kept})
        if one_line and spaces:
            spaces = ["space"]
        if spaces:
            parts.append("spaces" if spaces == ["space"] else "spaces (" + ", ".join(spaces) + ")")
        literal = sorted(ch for ch in self.chars if ch not in _WHITESPACE)
        if self.ascii_word:
            literal = sorted(set(literal) | {"_"})
        if self.ranges:
            parts.append("the characters " + ", ".join(f"{_show(low)} to {_show(high)}" for low, high in self.ranges))
        if literal:
            parts.append(" ".join(literal))
        return in_words(parts)


def _show(ch: str) -> str:
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _read_escape(pattern: str, i: int) -> tuple[str, str | CharClass, int]:
    """The escape at pattern[i] (just after a backslash): ("char", c, next) or ("class", CharClass, next)."""
    if i >= len(pattern):
        raise UnsupportedPattern("a pattern ends with a backslash")
    ch = pattern[i]
    if ch == "p":
        end = pattern.index("}", i)
        name = pattern[i + 2 : end]
        if not name or not all(c.isalpha() for c in name) or len(name) > 2:
            raise UnsupportedPattern(f"the Unicode class \\p{{{name}}} is not a general category")
        return "class", CharClass(categories=frozenset({name})), end + 1
    if ch == "w":
        return "class", CharClass(ascii_word=True), i + 1
    if ch == "d":
        return "class", CharClass(ranges=(("0", "9"),)), i + 1
    if ch == "u":
        return "char", chr(int(pattern[i + 1 : i + 5], 16)), i + 5
    if ch in _ESCAPES:
        return "char", _ESCAPES[ch], i + 1
    if ch.isalnum():
        raise UnsupportedPattern(f"the escape \\{ch} is not supported")
    return "char", ch, i + 1


def parse_pattern(pattern: str) -> tuple[CharClass, int]:
    """A pattern such as `[\\w+=,.@-]+` as (its character class, the fewest characters it needs)."""
    text = pattern
    if text.startswith("^"):
        text = text[1:]
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    if not text.startswith("[") or text[-1] not in "+*" or text[-2] != "]":
        raise UnsupportedPattern(f"{pattern!r} is not one repeated character class")
    body, minimum = text[1:-2], (1 if text[-1] == "+" else 0)
    if body.startswith("^"):
        raise UnsupportedPattern(f"{pattern!r} is a negated class")
    categories: set[str] = set()
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    ascii_word = False
    i = 0
    while i < len(body):
        if body[i] == "\\":
            kind, value, i = _read_escape(body, i + 1)
            if isinstance(value, CharClass):
                categories |= value.categories
                ranges.extend(value.ranges)
                ascii_word = ascii_word or value.ascii_word
                continue
            low = value
        else:
            low, i = body[i], i + 1
        if i + 1 < len(body) and body[i] == "-":  # a range low-high (a trailing "-" is a literal)
            if body[i + 1] == "\\":
                kind, high, i = _read_escape(body, i + 2)
                if kind != "char":
                    raise UnsupportedPattern(f"{pattern!r} has a range ending in a class")
            else:
                high, i = body[i + 1], i + 2
            ranges.append((str(low), str(high)))
        else:
            chars.add(str(low))
    return CharClass(frozenset(categories), frozenset(chars), tuple(ranges), ascii_word), minimum


def aws_length(text: str) -> int:
    """The length AWS measures: UTF-16 code units (the services are written in Java), so an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class ModelRule:
    """One member's rule: min and max length and pattern from a botocore model, reserved names from its docs."""

    min_len: int
    max_len: int | None
    pattern: str | None
    reserved: tuple[str, ...] = ()

    @cached_property
    def charset(self) -> CharClass | None:
        return parse_pattern(self.pattern)[0] if self.pattern else None

    def bad_char(self, text: str) -> str | None:
        """The first character the pattern does not allow, or None."""
        charset = self.charset
        if charset is None:
            return None
        return next((ch for ch in text if not charset.allows(ch)), None)

    def is_reserved(self, text: str) -> bool:
        # Compared case-insensitively: the reference names them but does not say whether
        # "administrator" is also taken, and refusing it costs a person nothing.
        return text.casefold() in {name.casefold() for name in self.reserved}
