"""Does a trade date's clean table continue the previous session's? A genuine next-day file lists
about as many securities, and each security's previous close is the close the previous session's
file stated. An old file re-served under the new date (dateless legacy files cannot be told by their
content alone), a truncated or a degenerate file breaks one or the other."""

from dataclasses import dataclass

import pandas as pd

# Below these a day does not continue the previous one.
MIN_SECURITIES_RATIO = 0.5  # securities today / securities in the previous session
MIN_MATCHING_SHARE = 0.8  # of the securities in both, those whose prev_close is that session's close
_MIN_COMMON = 20  # fewer securities in common say nothing about matching
_PAISA = 0.005  # prices are in whole paise: half a paisa apart is equal


@dataclass(frozen=True)
class Continuity:
    securities: int
    previous_securities: int
    common: int  # securities in both with a previous close
    matching: int  # ... whose previous close is the previous session's close

    @property
    def matching_share(self) -> float:
        return self.matching / self.common if self.common else 1.0

    def broken(self, *, compare_closes: bool = True) -> str | None:
        """Why this day does not continue the previous session, or None. ``compare_closes`` False
        when a session that is no partition (a weekend special session) lies in between."""
        if self.securities < MIN_SECURITIES_RATIO * self.previous_securities:
            return f"{self.securities} securities where the previous session had {self.previous_securities}"
        if compare_closes and self.common >= _MIN_COMMON and self.matching_share < MIN_MATCHING_SHARE:
            return (
                f"only {self.matching} of {self.common} securities' prev_close is the previous session's close "
                f"({self.matching_share:.0%}): a file of another day?"
            )
        return None


def continuity(today: pd.DataFrame, previous: pd.DataFrame) -> Continuity:
    """``today``: clean rows (security_code, prev_close); ``previous``: the previous session's (security_code, close)."""
    both = today[["security_code", "prev_close"]].merge(previous[["security_code", "close"]], on="security_code")
    both = both[both["prev_close"].notna()]
    matching = (both["prev_close"] - both["close"]).abs() <= _PAISA
    return Continuity(today["security_code"].nunique(), previous["security_code"].nunique(), len(both), int(matching.sum()))
