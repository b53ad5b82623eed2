"""The exit codes every `tipline` command uses: one table, shown by `tipline --help`.

The README lists the same table (a test holds the two together).
"""

from __future__ import annotations

import textwrap

DONE = 0
FILE_OR_RESULT = 1
USAGE_OR_STORE = 2
INTERRUPTED = 130  # 128 + SIGINT
READER_GONE = 141  # 128 + SIGPIPE, as a shell reports a tool a closed pipe stopped

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (DONE, "done"),
    (
        FILE_OR_RESULT,
        "an input file that cannot be used, or a result to act on, as each command says "
        "(documents quarantined, the audit chain broken, a sync round failed)",
    ),
    (
        USAGE_OR_STORE,
        "a usage or store error: one line on stderr naming the problem and the file, "
        "never a traceback",
    ),
    (INTERRUPTED, "interrupted with Ctrl-C"),
    (
        READER_GONE,
        "the program reading the output stopped early (as `head` does): the output was "
        "cut short (128 + SIGPIPE, what a shell reports for any tool stopped that way)",
    ),
)


def exit_codes_text(width: int = 78) -> str:
    """The table as `tipline --help` ends with it: code, then its meaning, wrapped."""
    lines = ["exit status:"]
    for code, meaning in EXIT_CODES:
        lines += textwrap.wrap(
            meaning, width, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7
        )
    return "\n".join(lines)
