"""`tipline train new` (an exercise store and its answer key), `train run` (the app on it,
offline) and `train score` (the trainee's work against the key)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tipline_tui.cli.common import Commands
from tipline_tui.cli.output import fail, one_line, safe_json


def add_commands(commands: Commands) -> None:
    train = commands.add_parser("train", help="training exercises: make one, score one")
    actions = train.add_subparsers(
        dest="train_command", metavar="ACTION", required=True, help="new, run or score"
    )
    new = actions.add_parser(
        "new", help="write a new exercise store and its answer key (PATH.key.json)"
    )
    new.add_argument(
        "--scenario", required=True, help="night-shift, international or repeat-offenders"
    )
    new.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    new.add_argument("--out", type=Path, required=True, help="new store file to write")
    new.set_defaults(func=new_exercise)
    run = actions.add_parser(
        "run", help="work an exercise store in the app (offline: no hub, nothing is sent)"
    )
    run.add_argument("path", type=Path, metavar="PATH", help="the exercise store")
    run.add_argument(
        "--on-call", action="store_true", help="start in on-call (urgent and overdue tips)"
    )
    run.set_defaults(func=run_exercise)
    score = actions.add_parser("score", help="score a worked exercise against its key")
    score.add_argument("path", type=Path, metavar="PATH", help="the exercise store")
    score.add_argument("--json", action="store_true", help="machine-readable output")
    score.add_argument(
        "--key",
        type=Path,
        metavar="KEY",
        help="the answer key, when the store is a trainee's copy (default: PATH.key.json)",
    )
    score.set_defaults(func=score_exercise)


def new_exercise(args: argparse.Namespace) -> int:
    from tipline_tui.demo.exercise import SCENARIOS, build_exercise, key_path

    if args.scenario not in SCENARIOS:
        return fail(f"no scenario {args.scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    try:
        key = build_exercise(args.out, args.scenario, args.seed, int(time.time()))
    except (FileExistsError, ValueError) as exc:  # ValueError: a seed too poor for a scenario
        return fail(str(exc))
    urgent = sum(t.urgent for t in key.tips.values())
    print(f"wrote {len(key.tips)} exercise tips ({urgent} urgent) to {args.out}")
    print(f"answer key: {key_path(args.out)} (keep it from the trainee)")
    print(f"the trainee works it with: tipline train run {args.out}")
    return 0


def run_exercise(args: argparse.Namespace) -> int:
    """The ordinary app on an exercise store; refuses any other file before touching it."""
    from tipline_tui.demo.exercise import stored_scenario
    from tipline_tui.settings import load_settings
    from tipline_tui.store import open_store
    from tipline_tui.wiring import make_app

    path = args.path.expanduser()
    if stored_scenario(path) is None:
        what = "no such file" if not path.exists() else "not an exercise store"
        return fail(f"{path}: {what} (make one with: tipline train new --scenario NAME --out PATH)")
    settings = load_settings()
    store = open_store(path, create=False)
    try:
        make_app(store, settings, on_call=args.on_call).run()
    finally:
        store.close()
    return 0


def score_exercise(args: argparse.Namespace) -> int:
    from tipline_tui.demo.exercise import ExerciseKey, key_matches, key_path, stored_scenario
    from tipline_tui.demo.scoring import score, scorecard_text
    from tipline_tui.store import open_store

    path = args.path.expanduser()
    sidecar = (args.key or key_path(path)).expanduser()
    if stored_scenario(path) is None:
        what = "no such file" if not path.exists() else "not an exercise store"
        return fail(f"{path}: {what} (tipline train new makes one)")
    if not sidecar.is_file():
        return fail(f"{path}: its answer key {sidecar} is missing (give it with --key)")
    try:
        key = ExerciseKey.load(sidecar)
    except (ValueError, KeyError, TypeError) as exc:
        return fail(f"{sidecar}: not an answer key ({type(exc).__name__}: {exc})")
    if not key_matches(path, key):
        return fail(f"{sidecar} is the key of another exercise, not of {path}")
    store = open_store(path, create=False)
    try:
        with store.read() as conn:
            card = score(conn, key)
    finally:
        store.close()
    if args.json:
        print(safe_json(card.as_dict()))
    else:
        for line in scorecard_text(card):
            print(one_line(line))
    return 0
