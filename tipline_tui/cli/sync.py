"""`tipline sync`: one round with the configured hub, push then pull."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tipline_tui.cli.common import Commands, open_command_store, store_option
from tipline_tui.cli.output import warn
from tipline_tui.widgets.format import plural

if TYPE_CHECKING:
    from tipline_tui.store import Store


def add_commands(commands: Commands) -> None:
    sync = commands.add_parser(
        "sync", parents=[store_option()], help="one sync round with the hub: push, then pull"
    )
    sync.add_argument(
        "--insecure",
        action="store_true",
        default=argparse.SUPPRESS,
        help="allow plain http to a hub that is not loopback",
    )
    sync.set_defaults(func=sync_once)


def sync_once(args: argparse.Namespace) -> int:
    """Exit 1 when no hub is configured or the round fails (every action stays queued)."""
    import asyncio

    from tipline_tui.settings import HUB_TOKEN_ENV, HUB_URL_ENV, load_settings

    settings = load_settings()
    token = settings.token()
    if not settings.hub_url or not token:
        warn(
            f"no hub configured: set [hub] url and token in {settings.config} "
            f"(chmod 600), or {HUB_URL_ENV} and {HUB_TOKEN_ENV}"
        )
        return 1
    store = open_command_store(args, writes=True)
    return asyncio.run(_one_round(store, settings.hub_url, token, insecure=args.insecure))


async def _one_round(store: Store, url: str, token: str, *, insecure: bool) -> int:
    from tipline_tui.sync.client import HubConfig, SyncClient, SyncError

    try:
        try:
            client = SyncClient(store, HubConfig(url, token, insecure))
        except SyncError as exc:
            warn(str(exc))
            return 1
        try:
            result = await client.sync_once()
        except SyncError as exc:
            warn(f"{exc}; every action stays queued")
            return 1
        finally:
            await client.aclose()
    finally:
        await store.aclose()
    c = result.counts
    print(
        f"pushed {plural(result.pushed, 'action')}, pulled {plural(result.pulled, 'change')}; "
        f"{c.pending} pending, {plural(c.conflicts, 'conflict')}, {c.rejected} rejected"
        + (f", {c.local_only} on tips the hub does not have" if c.local_only else "")
    )
    return 0
