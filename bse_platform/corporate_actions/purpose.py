"""BSE's free-text corporate-action purposes, read into price and volume adjustment factors.

BSE states a split or bonus ratio only in prose ("Stock  Split From Rs.5/- to Rs.2/-", "Bonus issue
1:1", "Sub-Division w.e.f. 12-08-2024 From Rs.10/- To Re.1/-"), sometimes several actions in one
text ("Bonus issue 1:1 / Stock Split From Rs.10/- to Rs.2/-"). ``parse_purpose`` returns one
``Action`` per action it finds, each with a ``price_factor``: multiply prices *before* the ex-date by
it to back-adjust them to today's share count; volumes before the ex-date are multiplied by
``volume_factor`` (= 1 / price_factor), so that turnover is unchanged.

What adjusts prices, and what does not:

* split / sub-division: face value from F to T -> T / F ("From Rs.10/- to Rs.2/-" -> 0.2);
* consolidation / reverse split: face value from F to T -> T / F ("from Re.1 to Rs.10" -> 10);
* bonus new:held (new shares for every ``held`` held) -> held / (held + new) ("1:1" -> 0.5);
* dividends (interim, final, special): factor 1.0. Features are computed on prices adjusted for
  changes in share count only; dividends are not adjusted for (a total-return series would need the
  dividend against the pre-ex close, which is a modelling choice this module does not make);
* rights issues: factor 1.0. The theoretical ex-rights adjustment needs the rights price and the
  pre-ex close, which the purpose does not reliably give, so no adjustment is made;
* everything else (AGM/EGM, buy-back, amalgamation, scheme of arrangement, demerger, interest
  payment, redemption, capital reduction, bonus debentures or preference shares, and any text
  with no known keyword): kind "other", factor 1.0. A price jump such an action causes is left to
  the platform's check for unexplained jumps.

Nothing is guessed: a split, bonus or consolidation whose ratio cannot be read unambiguously
("Stock Split" with no face values, "Bonus issue" with no ratio, two different ratios, face values
that move the wrong way for the kind) is kind "unparsed" with NaN factors, and so is an empty text.
Numbers inside dates ("w.e.f. 12-08-2024") are masked out before any ratio is read.
"""

import math
import re
from dataclasses import dataclass
from functools import lru_cache

KINDS = ("split", "bonus", "consolidation", "dividend", "rights", "other", "unparsed")
# Kinds that change the share count, hence the price scale.
ADJUSTING_KINDS = frozenset({"split", "bonus", "consolidation"})


@dataclass(frozen=True)
class Action:
    """One corporate action read from a purpose text.

    ``price_factor``: multiply prices before the ex-date by it to back-adjust (NaN when unparsed);
    ``volume_factor``: multiply volumes before the ex-date by it (1 / price_factor for share-count
    changes, 1.0 otherwise); ``detail``: the phrase of the purpose it was read from.
    """

    kind: str
    price_factor: float
    volume_factor: float
    detail: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown corporate-action kind {self.kind!r}; expected one of {KINDS}")


# ---------------------------------------------------------------------------------------------
# Masking: same-length substitutions, so that spans found on the masked text slice the original.

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_DATE = re.compile(
    r"\b\d{1,2}\s*([-/.:])\s*\d{1,2}\s*\1\s*\d{2,4}\b"  # 12-08-2024, 12/08/24, 12.08.2024
    r"|\b\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}\b"  # 2024-08-12
    r"|\b\d{1,2}(?:st|nd|rd|th)?[\s\-/.,]*" + _MONTH + r"[\s\-/.,]*(?:\d{4}|\d{2})\b"  # 12 Aug 2024, 12-Aug-24
    r"|\b" + _MONTH + r"\s*\d{1,2}(?:st|nd|rd|th)?\s*,?\s*\d{4}\b",  # August 12, 2024
    re.IGNORECASE,
)
# BSE writes rupee amounts as "Rs.5/-": that slash separates nothing.
_RUPEE_SUFFIX = re.compile(r"(?<=\d)\s?/\s?-")


def _mask(text: str) -> str:
    masked = _DATE.sub(lambda m: "#" * len(m.group()), text)
    return _RUPEE_SUFFIX.sub(lambda m: " " * len(m.group()), masked)


# ---------------------------------------------------------------------------------------------
# Segmentation into one phrase per action

_WORDS = re.compile(r"[^\W_]")  # a letter or digit: what a phrase needs to be one
_SEPARATOR = re.compile(
    r"[/;|+&]|(?<!\d),|,(?!\d)|\b(?:and|along\s*with|alongwith|with|as\s+well\s+as)\b", re.IGNORECASE
)

_CONSOLIDATION = re.compile(r"consolidat\w*|reverse\s*(?:stock\s*)?split\w*", re.IGNORECASE)
_SPLIT = re.compile(
    r"(?:stock\s*|share\s*|face\s*value\s*)?split\w*|sub[\s\-]*divi(?:sion|ded?)\w*|sub[\s\-]*divn\b", re.IGNORECASE
)
_BONUS = re.compile(r"\bbonus\b", re.IGNORECASE)
_NOT_EQUITY = re.compile(r"debenture|preference|\bncds?\b|\bbonds?\b|warrant", re.IGNORECASE)
_DIVIDEND = re.compile(r"\bdividend|\bdiv\b", re.IGNORECASE)
_RIGHTS = re.compile(r"\brights?\b", re.IGNORECASE)
# Recognised as not adjusting prices; anything else without a keyword above is "other" too.
_OTHER = re.compile(
    r"\b(?:a\.?\s*g\.?\s*m|e\.?\s*g\.?\s*m|annual\s+general|extra[\s-]*ordinary\s+general|general\s+meeting"
    r"|buy[\s-]*back|amalgamation|merger|demerger|scheme|arrangement|interest|redemption|reduction"
    r"|spin[\s-]*off|revision|call|payment|postal\s+ballot|book\s+closure|capital)",
    re.IGNORECASE,
)


def _adjusting_keywords(masked: str) -> list[tuple[int, str]]:
    """(start, kind) of each split/bonus/consolidation keyword, a reverse split counting once."""
    found = [(m.start(), m.end(), "consolidation") for m in _CONSOLIDATION.finditer(masked)]
    taken = [(start, end) for start, end, _ in found]
    found += [
        (m.start(), m.end(), "split")
        for m in _SPLIT.finditer(masked)
        if not any(start < m.end() and m.start() < end for start, end in taken)
    ]
    found += [(m.start(), m.end(), "bonus") for m in _BONUS.finditer(masked)]
    return sorted((start, kind) for start, _, kind in found)


def _has_keyword(masked: str) -> bool:
    return any(p.search(masked) for p in (_CONSOLIDATION, _SPLIT, _BONUS, _DIVIDEND, _RIGHTS, _OTHER))


def _phrases(text: str, masked: str) -> list[tuple[int, int]]:
    """Spans of ``text``, one per action: cut at separators, keyword-less pieces joined to a neighbour."""
    spans, start = [], 0
    for separator in _SEPARATOR.finditer(masked):
        spans.append((start, separator.start()))
        start = separator.end()
    spans.append((start, len(text)))
    spans = [(a, b) for a, b in spans if _WORDS.search(masked[a:b])]
    if not spans:
        return []

    merged: list[tuple[int, int]] = []
    pending: int | None = None  # start of keyword-less pieces before the first phrase with a keyword
    for a, b in spans:
        if _has_keyword(masked[a:b]):
            merged.append((pending if pending is not None else a, b))
            pending = None
        elif merged:
            merged[-1] = (merged[-1][0], b)  # "..., fully paid up" belongs to the phrase before
        elif pending is None:
            pending = a
    if pending is not None:  # no keyword anywhere
        merged.append((pending, spans[-1][1]))

    # Two share-count actions in one piece without a separator: cut where the second one starts.
    phrases = []
    for a, b in merged:
        cuts, previous = [a], None
        for offset, kind in _adjusting_keywords(masked[a:b]):
            if previous is not None and kind != previous:
                cuts.append(a + offset)
            previous = kind
        phrases += [(x, y) for x, y in zip(cuts, [*cuts[1:], b]) if _WORDS.search(masked[x:y])]
    return phrases


# ---------------------------------------------------------------------------------------------
# Reading one phrase

_NUMBER = r"(\d+(?:\.\d+)?)"
_CURRENCY = r"(?:(?<![a-z])(?:rs|re|inr)(?![a-z])\s*\.?|₹)\s*[-.]?\s*"
_AMOUNT = re.compile(_CURRENCY + _NUMBER, re.IGNORECASE)
_FROM_TO = re.compile(
    r"\bfrom\s*(?:" + _CURRENCY + r")?" + _NUMBER
    + r"(?:\s*(?:each|per\s+share|fully\s+paid(?:[\s-]*up)?|paid[\s-]*up|face\s+value|fv)\b)*"
    + r"\s*(?:to|into)\s*(?:" + _CURRENCY + r")?" + _NUMBER,
    re.IGNORECASE,
)  # fmt: skip
_RATIO = re.compile(
    r"(?<![\d.])" + _NUMBER + r"\s*(?::|\bfor\s+(?:every\s+)?)\s*" + _NUMBER + r"(?![\d.])", re.IGNORECASE
)


def _face_values(masked: str) -> tuple[float, float] | None:
    """(from, to) face values: "from X to Y", else the only two rupee amounts in the phrase."""
    explicit = {(float(m.group(1)), float(m.group(2))) for m in _FROM_TO.finditer(masked)}
    amounts = [float(m.group(1)) for m in _AMOUNT.finditer(masked)]
    if len(explicit) == 1:
        faces = explicit.pop()
        # Another rupee amount than the two face values ("... Rs.5 paid up") makes it ambiguous.
        return faces if set(amounts) <= set(faces) else None
    if explicit:
        return None
    return (amounts[0], amounts[1]) if len(amounts) == 2 else None


def _bonus_ratio(masked: str) -> tuple[float, float] | None:
    """(new, held) from "1:1" or "1 for every 2"; None unless exactly one ratio is stated."""
    ratios = {(float(m.group(1)), float(m.group(2))) for m in _RATIO.finditer(masked)}
    return ratios.pop() if len(ratios) == 1 else None


def _unparsed(detail: str) -> Action:
    return Action("unparsed", math.nan, math.nan, detail)


def _share_count_change(kind: str, price_factor: float, detail: str) -> Action:
    return Action(kind, price_factor, 1.0 / price_factor, detail)


def _read_phrase(detail: str, masked: str) -> Action:
    if _CONSOLIDATION.search(masked) or _SPLIT.search(masked):
        kind = "consolidation" if _CONSOLIDATION.search(masked) else "split"
        faces = _face_values(masked)
        if faces is None or min(faces) <= 0:
            return _unparsed(detail)
        face_from, face_to = faces
        # A split lowers the face value and a consolidation raises it; anything else is a misreading.
        if (kind == "split" and not face_to < face_from) or (kind == "consolidation" and not face_to > face_from):
            return _unparsed(detail)
        return _share_count_change(kind, face_to / face_from, detail)
    if _BONUS.search(masked):
        if _NOT_EQUITY.search(masked):  # bonus debentures / preference shares: no new equity shares
            return Action("other", 1.0, 1.0, detail)
        ratio = _bonus_ratio(masked)
        if ratio is None or min(ratio) <= 0:
            return _unparsed(detail)
        new, held = ratio
        return _share_count_change("bonus", held / (held + new), detail)
    if _DIVIDEND.search(masked):
        return Action("dividend", 1.0, 1.0, detail)
    if _RIGHTS.search(masked):
        return Action("rights", 1.0, 1.0, detail)
    return Action("other", 1.0, 1.0, detail)


@lru_cache(maxsize=8192)
def parse_purpose(text: str) -> tuple[Action, ...]:
    """The actions a BSE purpose text states, in the order it states them (at least one).

    An empty text (or one without a letter or digit, like "-") gives one "unparsed" action; see
    the module docstring for the factors.
    """
    if not isinstance(text, str):
        raise TypeError(f"a purpose is a str, not {type(text).__name__}")
    masked = _mask(text)
    phrases = _phrases(text, masked)
    if not phrases:
        return (_unparsed(text.strip()),)
    return tuple(_read_phrase(text[a:b].strip(), masked[a:b]) for a, b in phrases)
