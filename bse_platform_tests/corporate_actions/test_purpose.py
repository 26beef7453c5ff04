"""parse_purpose on BSE's free-text purposes: factors of every phrasing, combined texts, never a guess."""

import math

import pytest

from bse_platform.corporate_actions import ADJUSTING_KINDS, KINDS, Action, parse_purpose
from bse_platform.mirror.generator import _BONUSES, _SPLITS, _bonus, _split

NaN = math.nan

# text -> [(kind, price_factor), ...] in the order the text states them
CASES = [
    # splits: face value from -> to, factor to / from
    ("Stock  Split From Rs.5/- to Rs.2/-", [("split", 0.4)]),
    ("Stock Split From Rs.10/- to Rs.5/-", [("split", 0.5)]),
    ("Stock Split From Rs.10/- to Rs.2/-", [("split", 0.2)]),
    ("Stock  Split From Rs.10/- to Re.1/-", [("split", 0.1)]),
    ("Sub-Division w.e.f. 12-08-2024 From Rs.10/- To Re.1/-", [("split", 0.1)]),
    ("Sub Division w.e.f. 01/02/2025 from Rs.10/- to Rs.5/-", [("split", 0.5)]),
    ("Split w.e.f. 12.08.2024 from Rs.10 to Rs.2", [("split", 0.2)]),
    ("Stock Split From Rs.10/- to Rs.5/- (Record Date 5 Jan 2025)", [("split", 0.5)]),
    ("Stock Split From Rs.10/- each to Rs.2/- each", [("split", 0.2)]),
    ("Stock Split From Rs. 10/- to Re. 1/-", [("split", 0.1)]),
    ("Stock Split From Rs.10/-to Rs.2/-", [("split", 0.2)]),
    ("STOCK SPLIT FROM RS.10/- TO RS.2/-", [("split", 0.2)]),
    ("Stock split from Rs 10 to Rs 2", [("split", 0.2)]),
    ("Stock Split from ₹10 to ₹2", [("split", 0.2)]),
    ("Stock Split From Rs.2.50 to Re.0.50", [("split", 0.2)]),
    ("Face value split from 10 to 2", [("split", 0.2)]),
    ("Sub-division of 1 equity share of Rs.10/- each, fully paid up, into 5 equity shares of Rs.2/- each", [("split", 0.2)]),
    # bonus new:held -> held / (held + new)
    ("Bonus issue 1:1", [("bonus", 0.5)]),
    ("Bonus 3:2", [("bonus", 0.4)]),
    ("Bonus issue 2:1", [("bonus", 1 / 3)]),
    ("Bonus issue 1:2", [("bonus", 2 / 3)]),
    ("Bonus Issue 1 : 1", [("bonus", 0.5)]),
    ("Bonus issue in the ratio of 1:1 w.e.f. 01-Jan-2025", [("bonus", 0.5)]),
    ("Bonus issue 1:1 (Record date 12:08:2024)", [("bonus", 0.5)]),
    ("Bonus 1 for every 2", [("bonus", 2 / 3)]),
    # consolidation / reverse split: factor to / from, above 1
    ("Consolidation of shares from Re.1 to Rs.10", [("consolidation", 10.0)]),
    ("Consolidation of Shares From Rs.2/- to Rs.10/-", [("consolidation", 5.0)]),
    ("Reverse split from Rs.2 to Rs.10", [("consolidation", 5.0)]),
    ("Reverse Stock Split From Re.1/- To Rs.10/-", [("consolidation", 10.0)]),
    ("Consolidation of 10 equity shares of Re.1 each into 1 equity share of Rs.10 each", [("consolidation", 10.0)]),
    # dividends, rights, everything else: no price adjustment
    ("Interim Dividend - Rs. - 18.0000", [("dividend", 1.0)]),
    ("Final Dividend - Rs. - 2.5000", [("dividend", 1.0)]),
    ("Special Dividend", [("dividend", 1.0)]),
    ("Dividend - Rs. - 1,000.0000", [("dividend", 1.0)]),
    ("Special & Interim Dividend", [("dividend", 1.0)]),
    ("Right Issue of Equity Shares", [("rights", 1.0)]),
    ("Rights 1:5 @ premium Rs 100/-", [("rights", 1.0)]),
    ("Rights Issue", [("rights", 1.0)]),
    ("Annual General Meeting", [("other", 1.0)]),
    ("A.G.M.", [("other", 1.0)]),
    ("E.G.M.", [("other", 1.0)]),
    ("Buy Back of Shares", [("other", 1.0)]),
    ("Amalgamation", [("other", 1.0)]),
    ("Scheme of arrangement", [("other", 1.0)]),
    ("Interest Payment", [("other", 1.0)]),
    ("Redemption of NCD", [("other", 1.0)]),
    ("Reduction of Capital", [("other", 1.0)]),
    ("Bonus issue of Debentures", [("other", 1.0)]),
    ("Bonus Issue of Preference Shares 1:1", [("other", 1.0)]),
    ("Change in Name", [("other", 1.0)]),
    # combined texts: one action per phrase
    ("Bonus issue 1:1 / Stock Split From Rs.10/- to Rs.2/-", [("bonus", 0.5), ("split", 0.2)]),
    ("Interim Dividend - Rs. - 5.0000 / Special Dividend - Rs. - 10.0000", [("dividend", 1.0), ("dividend", 1.0)]),
    ("Stock Split From Rs.10/- to Rs.1/- and Bonus 1:1", [("split", 0.1), ("bonus", 0.5)]),
    ("Stock Split From Rs.10/- to Rs.2/-/Bonus 1:1", [("split", 0.2), ("bonus", 0.5)]),
    ("Dividend - Rs. - 1.0000 + Bonus 1:2", [("dividend", 1.0), ("bonus", 2 / 3)]),
    ("Final Dividend - Rs. - 2.0000 & Bonus issue 1:1", [("dividend", 1.0), ("bonus", 0.5)]),
    ("Bonus issue 1:1; Stock Split From Rs.10/- to Rs.5/-", [("bonus", 0.5), ("split", 0.5)]),
    ("Bonus issue 1:1, Stock Split From Rs.10/- to Rs.5/-", [("bonus", 0.5), ("split", 0.5)]),
    ("Bonus issue 1:1 Stock Split From Rs.10/- to Rs.2/-", [("bonus", 0.5), ("split", 0.2)]),  # no separator
    ("Split 12/08/2024 from Rs 10 to Rs 5; AGM", [("split", 0.5), ("other", 1.0)]),
    ("Scheme of Arrangement and Amalgamation", [("other", 1.0), ("other", 1.0)]),
    ("Bonus issue 1:1 / Stock Split", [("bonus", 0.5), ("unparsed", NaN)]),
    # ratios that cannot be read: unparsed, never guessed
    ("Stock Split", [("unparsed", NaN)]),
    ("Sub-Division", [("unparsed", NaN)]),
    ("Bonus issue", [("unparsed", NaN)]),
    ("Consolidation of Shares", [("unparsed", NaN)]),
    ("Reverse split", [("unparsed", NaN)]),
    ("Sub-Division w.e.f. 12-08-2024", [("unparsed", NaN)]),  # the date's numbers are no face values
    ("Bonus issue w.e.f. 12-08-2024", [("unparsed", NaN)]),
    ("Stock Split From Rs.10/-", [("unparsed", NaN)]),
    ("Stock Split from Rs.10 to Rs.5 or Rs.2", [("unparsed", NaN)]),  # a third face value
    ("Bonus 2:1 ratio 1:2", [("unparsed", NaN)]),  # two ratios
    ("Bonus issue 0:1", [("unparsed", NaN)]),
    ("Stock Split From Rs.2/- to Rs.10/-", [("unparsed", NaN)]),  # a split that raises the face value
    ("Consolidation from Rs.10 to Re.1", [("unparsed", NaN)]),  # a consolidation that lowers it
    ("Stock Split From Rs.10/- to Rs.10/-", [("unparsed", NaN)]),
    ("", [("unparsed", NaN)]),
    ("   ", [("unparsed", NaN)]),
    ("-", [("unparsed", NaN)]),
]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text or "<empty>" for text, _ in CASES])
def test_parse_purpose(text, expected):
    actions = parse_purpose(text)
    assert [a.kind for a in actions] == [kind for kind, _ in expected]
    for action, (_, price_factor) in zip(actions, expected):
        assert _same(action.price_factor, price_factor), action
        if action.kind in ADJUSTING_KINDS:
            assert action.volume_factor == 1.0 / action.price_factor
        elif action.kind == "unparsed":
            assert math.isnan(action.volume_factor)
        else:
            assert action.volume_factor == 1.0


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("Bonus issue 1:1 / Stock Split From Rs.10/- to Rs.2/-", ["Bonus issue 1:1", "Stock Split From Rs.10/- to Rs.2/-"]),
        ("Interim Dividend - Rs. - 5.0000 / Special Dividend - Rs. - 10.0000",
         ["Interim Dividend - Rs. - 5.0000", "Special Dividend - Rs. - 10.0000"]),
        ("Sub-Division w.e.f. 12-08-2024 From Rs.10/- To Re.1/-", ["Sub-Division w.e.f. 12-08-2024 From Rs.10/- To Re.1/-"]),
        ("Sub-division of 1 share of Rs.10/- each, fully paid up, into 5 shares of Rs.2/- each",
         ["Sub-division of 1 share of Rs.10/- each, fully paid up, into 5 shares of Rs.2/- each"]),
        ("  Stock  Split From Rs.5/- to Rs.2/-  ", ["Stock  Split From Rs.5/- to Rs.2/-"]),
    ],
)  # fmt: skip
def test_detail_is_the_phrase_of_the_original_text(text, details):
    assert [a.detail for a in parse_purpose(text)] == details


@pytest.mark.parametrize("split", _SPLITS)
def test_reads_every_split_the_mirror_generates(split):
    factor, purpose = _split(*split)
    (action,) = parse_purpose(purpose)
    assert (action.kind, action.price_factor, action.volume_factor) == ("split", factor, 1.0 / factor)


@pytest.mark.parametrize("bonus", _BONUSES)
def test_reads_every_bonus_issue_the_mirror_generates(bonus):
    factor, purpose = _bonus(*bonus)
    (action,) = parse_purpose(purpose)
    assert (action.kind, action.price_factor, action.volume_factor) == ("bonus", factor, 1.0 / factor)


def test_every_parse_is_at_least_one_known_kind():
    for text, _ in CASES:
        actions = parse_purpose(text)
        assert actions and all(a.kind in KINDS for a in actions)


def test_action_is_frozen_and_checks_its_kind():
    action = Action("split", 0.5, 2.0, "Stock Split From Rs.10/- to Rs.5/-")
    with pytest.raises(AttributeError):
        action.price_factor = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown corporate-action kind"):
        Action("merger", 1.0, 1.0, "")


def test_a_purpose_must_be_text():
    with pytest.raises(TypeError):
        parse_purpose(None)  # type: ignore[arg-type]
