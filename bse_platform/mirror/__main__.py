"""Serve a synthetic BSE until Ctrl-C: ``python -m bse_platform.mirror`` (``make mirror``).

By default its market spans the trade dates of the last year through today, with enough securities
to pass the raw check's ``min_rows``, and each day's file appears at 20:00 IST as on BSE: a UI
started with ``BSE_MIRROR_URL=<the printed URL>`` runs the evening's job against it.
"""

import argparse
import datetime as dt
import threading
from zoneinfo import ZoneInfo

from bse_platform.calendar import BSE_PUBLICATION_TIME, BSE_TIMEZONE, TradingCalendar
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import REQUIRED_REFERER_PREFIX, MirrorSite, serve_mirror


def main(argv: list[str] | None = None) -> None:
    today = dt.datetime.now(ZoneInfo(BSE_TIMEZONE)).date()
    parser = argparse.ArgumentParser(prog="python -m bse_platform.mirror", description=__doc__)
    parser.add_argument("--securities", type=int, default=1500)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=today - dt.timedelta(days=365), help="YYYY-MM-DD")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=today, help="YYYY-MM-DD (default today)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    args = parser.parse_args(argv)

    sessions = TradingCalendar().sessions(args.start, args.end)
    if not sessions:
        parser.error(f"no BSE sessions between {args.start} and {args.end}")
    market = generate_market(args.securities, sessions, seed=args.seed)
    site = MirrorSite(market, publication_time=BSE_PUBLICATION_TIME)
    with serve_mirror(site, args.host, args.port) as mirror:
        print(f"{args.securities} securities, seed {args.seed}, {len(sessions)} sessions {sessions[0]}..{sessions[-1]}, "
              f"each published at {BSE_PUBLICATION_TIME:%H:%M} IST")  # fmt: skip
        print(f"requests need 'Referer: {REQUIRED_REFERER_PREFIX}' and an Accept-Language header; Ctrl-C stops")
        print(f"In another terminal: BSE_MIRROR_URL={mirror.root_url} make ui", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
