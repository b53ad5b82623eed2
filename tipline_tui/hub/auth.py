"""Accounts, secrets and the FastAPI dependencies that check them.

A secret is `secrets.token_urlsafe(32)` (256 random bits), shown once when the
account is made and stored only as a salted scrypt hash. How each kind sends it:

- ESPs: HTTP Basic, username = account name, password = secret (the
  CyberTipline Reporting API's own scheme);
- analysts and agencies: `Authorization: Bearer <name>:<secret>`, the account
  name, a colon, the secret (the secret holds no colon, so the last one splits).

Secrets are never logged; a failure says only that the credentials were refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, cast

from fastapi import Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy import Connection, insert, select, update
from starlette.requests import HTTPConnection

from tipline_tui.domain.transitions import ROLES
from tipline_tui.hub.auth_guard import AuthGuard
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.tables import Account, table_of

__all__ = [
    "KINDS",
    "AccountError",
    "AgencyAccount",
    "AgencyRoute",
    "EspAccount",
    "EspAuthError",
    "UserRoute",
    "agency_account",
    "bearer_account",
    "checked_account",
    "create_account",
    "esp_account",
    "forget_account",
    "guard_of",
    "hash_secret",
    "hub_of",
    "require_user",
    "verify_secret",
]

KINDS = ("esp", "user", "agency")
_account = table_of(Account)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class _DocumentedBasic(HTTPBasic):
    """Declares HTTP Basic in the OpenAPI document; the checking is `esp_account`'s.

    FastAPI's own HTTPBasic answers a malformed header with a JSON 401 and
    refuses non-ASCII names; the ESP API wants one answer for every failure.
    """

    async def __call__(  # type: ignore[override]  # HTTPBasic itself narrows HTTPBase's return
        self, request: HTTPConnection
    ) -> HTTPBasicCredentials | None:
        return None


class _DocumentedBearer(HTTPBearer):
    """Declares the bearer scheme in the OpenAPI document; `_bearer_account` checks it."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return None


_basic = _DocumentedBasic(
    scheme_name="HTTPBasic", auto_error=False, description="ESP account name and secret"
)
_bearer = _DocumentedBearer(
    scheme_name="HTTPBearer", auto_error=False, description="`<account name>:<secret>`"
)


class AccountError(ValueError):
    """An account that cannot be made (bad kind, role, name taken...)."""


class EspAuthError(Exception):
    """ESP credentials refused: the app answers 401, `WWW-Authenticate: Basic`, no body."""


def hash_secret(secret: str) -> str:
    """`scrypt$n$r$p$salt$hash` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.urlsafe_b64encode
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + f"{b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Constant-time check of `secret` against a `hash_secret` value."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(
            secret.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, expected)


def create_account(
    conn: Connection,
    *,
    kind: str,
    name: str,
    role: str | None = None,
    agency_id: int | None = None,
    now: int,
    replace: bool = False,
) -> str:
    """Make an account and return its secret (the only time it is ever seen).

    `replace=True` gives an existing account of the same kind a new secret
    (the old one stops working), for `tipline hub agency-token` run twice.
    """
    if kind not in KINDS:
        raise AccountError(f"account kind must be one of {', '.join(KINDS)}")
    if kind == "user" and role not in ROLES:
        raise AccountError(f"a user's role must be one of {', '.join(ROLES)}")
    if kind != "user" and role is not None:
        raise AccountError("only users have a role")
    if kind == "agency" and agency_id is None:
        raise AccountError("an agency account needs the agency")
    name = name.strip()
    if not name or ":" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AccountError("an account name is non-empty text without ':' or control characters")
    secret = secrets.token_urlsafe(32)
    existing = conn.execute(select(_account).where(_account.c.name == name)).first()
    if existing is not None:
        if not replace or existing.kind != kind:
            raise AccountError(f"there is already an account named {name!r}")
        conn.execute(
            update(_account)
            .where(_account.c.id == existing.id)
            .values(secret_hash=hash_secret(secret), role=role, agency_id=agency_id, disabled=False)
        )
        return secret
    conn.execute(
        insert(_account).values(
            kind=kind,
            name=name,
            role=role,
            agency_id=agency_id,
            secret_hash=hash_secret(secret),
            created_at=now,
            disabled=False,
        )
    )
    return secret


def authenticate(hub: HubDB, kind: str, name: str, secret: str) -> Account | None:
    """The enabled account of `kind` named `name` whose secret this is, else None.

    Blocking (a database read and a scrypt derivation): `checked_account` runs it
    in a worker thread.
    """
    with hub.read() as conn:
        row = conn.execute(
            select(_account).where(_account.c.name == name, _account.c.kind == kind)
        ).first()
    if row is None or row.disabled:
        # still spend the time a real check takes, so a wrong name is not told apart by timing
        verify_secret(secret, _DUMMY_HASH)
        return None
    if not verify_secret(secret, row.secret_hash):
        return None
    return Account.model_validate(dict(row._mapping))


_DUMMY_HASH = hash_secret(secrets.token_urlsafe(32))


def hub_of(request: Request) -> HubDB:
    """The hub database the app was made with (every route reaches it this way)."""
    return cast(HubDB, request.app.state.hub)


def guard_of(app: Any) -> AuthGuard:
    """The app's throttle and token cache (made on first use for an app made elsewhere)."""
    guard = getattr(app.state, "auth_guard", None)
    if guard is None:
        guard = app.state.auth_guard = AuthGuard()
    return cast(AuthGuard, guard)


def forget_account(app: Any, name: str) -> None:
    """Drop the cached tokens of `name`, so a disabled account is refused at once."""
    guard_of(app).tokens.forget(name)


async def checked_account(
    request: Request, kind: str, name: str, secret: str, *, esp_terms: bool = False
) -> Account | None:
    """The one credential check: a cached token, else a throttled scrypt off the loop.

    None when refused; HTTPException 429 (with Retry-After) when the source
    address or the account name has had too many refusals lately.

    `esp_terms` (ESP intake): the CyberTipline API answers refused credentials 401
    and nothing else, so a throttled check is refused (after the same delay, with
    no derivation) instead of 429; and it is throttled by the pair of source address
    and account name, so a stranger guessing an ESP's secret from elsewhere cannot
    lock that ESP out, nor one ESP's mistakes another ESP at the same address.
    """
    guard = guard_of(request.app)
    cached = guard.tokens.get(kind, name, secret)
    if cached is not None:
        return cached
    address = request.client.host if request.client else ""
    keys = (guard.pair_keys if esp_terms else guard.keys)(address, kind, name)
    wait = guard.throttle.take(keys)
    if wait is not None:
        retry_after = await guard.throttled(wait)
        if esp_terms:
            return None
        raise HTTPException(
            status_code=429,
            detail="too many refused credentials: try again later",
            headers={"Retry-After": retry_after},
        )
    account = await guard.derive(authenticate, hub_of(request), kind, name, secret)
    if account is None:
        return None
    guard.throttle.refund(keys)
    guard.tokens.put(kind, name, secret, account)
    return account


async def esp_account(request: Request, _doc: Annotated[Any, Depends(_basic)]) -> Account:
    """An ESP by HTTP Basic; anything else raises EspAuthError (401, empty body)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise EspAuthError
    try:
        name, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise EspAuthError from None
    if not sep:
        raise EspAuthError
    account = await checked_account(request, "esp", name, secret, esp_terms=True)
    if account is None:
        raise EspAuthError
    return account


def _unauthorised() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="missing or refused credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def bearer_account(request: Request, kind: str) -> Account:
    """The `kind` account whose bearer token the request carries, checked once per request.

    The route classes below call it before the body is read; the dependencies
    then find the answer on the request instead of checking again. 401 if refused.
    """
    slot = f"tipline_{kind}_account"
    known = getattr(request.state, slot, None)
    if known is not None:
        return cast(Account, known)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised()
    name, sep, secret = token.strip().rpartition(":")
    if not sep or not name or not secret:
        raise _unauthorised()
    account = await checked_account(request, kind, name, secret)
    if account is None:
        raise _unauthorised()
    setattr(request.state, slot, account)
    return account


def _checked_first(kind: str) -> type[APIRoute]:
    """A route class whose handler checks the bearer token before FastAPI reads the body.

    FastAPI reads and validates a body before any dependency runs, so without
    this a stranger's malformed body got 422 and a large one cost its parsing
    before the 401.
    """

    class CheckedFirst(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def checked(request: Request) -> Response:
                await bearer_account(request, kind)
                return await handler(request)

            return checked

    CheckedFirst.__name__ = CheckedFirst.__qualname__ = f"{kind.capitalize()}CheckedFirst"
    return CheckedFirst


UserRoute = _checked_first("user")
"""`APIRouter(route_class=UserRoute)`: every route needs an analyst token, checked first."""
AgencyRoute = _checked_first("agency")
"""`APIRouter(route_class=AgencyRoute)`: every route needs an agency token, checked first."""


def require_user(*roles: str) -> Callable[..., Coroutine[Any, Any, Account]]:
    """A dependency: the analyst whose bearer token this is, if their role is in `roles`.

    401 if the token is missing or refused, 403 if the role may not do this.
    No roles given means any user role.
    """
    allowed = frozenset(roles or ROLES)

    async def user(request: Request, _doc: Annotated[Any, Depends(_bearer)]) -> Account:
        account = await bearer_account(request, "user")
        if account.role not in allowed:
            raise HTTPException(
                status_code=403, detail=f"the role {account.role!r} may not do this"
            )
        return account

    return user


async def agency_account(request: Request, _doc: Annotated[Any, Depends(_bearer)]) -> Account:
    """A dependency: the agency whose bearer token this is (401 otherwise)."""
    account = await bearer_account(request, "agency")
    if account.agency_id is None:
        raise HTTPException(status_code=403, detail="this agency account names no agency")
    return account


AgencyAccount = Annotated[Account, Depends(agency_account)]
EspAccount = Annotated[Account, Depends(esp_account)]
