"""Command line: ``python -m graders release|autograde|autograde-batch`` (the contract in docs).

Exit status 0 whenever a result was produced (including a score of 0 and submissions that are not
notebooks or belong to another assignment); 1 when the engine itself failed; 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from graders.batch import autograde_batch
from graders.engine import Pool, autograde
from graders.release import release

# The command line grades one assignment: its slots preload only what that assignment's source imports (the
# engine adds those to this list), not the course-wide list the site's workers preload (graders.slot's
# DEFAULT_PRELOAD), so a slot starts sooner; a submission importing something else imports it itself.
ASSIGNMENT_PRELOAD = ("numpy", "IPython")


def _env_pairs(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"--env expects KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m graders", description="nbgrader-format grading engine")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="build the student version of an assignment")
    rel.add_argument("source", type=Path)
    rel.add_argument("out", type=Path)
    ag = sub.add_parser("autograde", help="grade one submission")
    ag.add_argument("source", type=Path)
    ag.add_argument("submission", type=Path)
    ag.add_argument("--seed", type=int)
    ag.add_argument("--env", action="append", default=[], metavar="KEY=VAL")
    ag.add_argument("--json", action="store_true", help="print the result as one JSON object")
    ag.add_argument("--sandbox", help="sandbox mode (default: bwrap-root as root, bwrap-user otherwise)")
    batch = sub.add_parser("autograde-batch", help="grade every student folder of a submitted/ tree")
    batch.add_argument("source", type=Path)
    batch.add_argument("submitted_root", type=Path)
    batch.add_argument("--workers", type=int, default=1)
    batch.add_argument("--seed", type=int)
    batch.add_argument("--env", action="append", default=[], metavar="KEY=VAL")
    batch.add_argument("--json", action="store_true", help="print one JSON object per line")
    batch.add_argument("--sandbox", help="sandbox mode")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "release":
            manifest = release(args.source, args.out)
            print(
                json.dumps(
                    {
                        "out": str(args.out),
                        "max_score": manifest.max_score,
                        "source_hash": manifest.source_hash,
                    }
                )
            )
            return 0
        env = _env_pairs(args.env)
        if args.command == "autograde":
            pool = Pool(mode=args.sandbox, preload=ASSIGNMENT_PRELOAD)
            try:
                result = autograde(args.source, args.submission, seed=args.seed, env=env, pool=pool)
            finally:
                pool.close()
            if args.json:
                print(json.dumps(result.to_json()))
            else:
                print(
                    f"{result.score:g} / {result.max_score:g}"
                    + (f"  error: {result.error}" if result.error else "")
                )
            return 0
        failed = False
        for item in autograde_batch(
            source=args.source,
            submitted_root=args.submitted_root,
            workers=args.workers,
            seed=args.seed,
            env=env,
            mode=args.sandbox,
            preload=ASSIGNMENT_PRELOAD,
        ):
            if item.result is None:
                failed = True
                line = {"student": item.student, "engine_error": item.failure}
            else:
                line = {"student": item.student, **item.result.to_json()}
            print(
                json.dumps(line)
                if args.json
                else f"{item.student}: {line.get('score')} / {line.get('max_score')}"
            )
            sys.stdout.flush()
        return 1 if failed else 0
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
