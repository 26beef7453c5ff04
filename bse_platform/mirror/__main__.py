"""Serve a synthetic BSE until Ctrl-C: ``python -m bse_platform.mirror --securities 500 --port 8765``."""

import argparse
import datetime as dt
import threading

from bse_platform.calendar import TradingCalendar
from bse_platform.mirror.generator import generate_market
from bse_platform.mirror.server import REQUIRED_REFERER_PREFIX, MirrorSite, serve_mirror


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bse_platform.mirror", description=__doc__)
    parser.add_argument("--securities", type=int, default=500)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1), help="YYYY-MM-DD")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 3, 31), help="YYYY-MM-DD")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    args = parser.parse_args(argv)

    sessions = TradingCalendar().sessions(args.start, args.end)
    if not sessions:
        parser.error(f"no BSE sessions between {args.start} and {args.end}")
    market = generate_market(args.securities, sessions, seed=args.seed)
    with serve_mirror(MirrorSite(market), args.host, args.port) as mirror:
        print(f"{args.securities} securities, seed {args.seed}, {len(sessions)} sessions {sessions[0]}..{sessions[-1]}")
        print(f"requests need 'Referer: {REQUIRED_REFERER_PREFIX}' and an Accept-Language header; Ctrl-C stops")
        print(mirror.base_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
