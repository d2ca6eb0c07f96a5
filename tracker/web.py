"""What the team server answers besides Streamlit's own routes: the session cookie, set and cleared.

A page cannot set a cookie: it talks to the browser over a websocket. After a sign-in the page hands
the browser a one-time ticket, which the browser posts here in exchange for an HttpOnly cookie that
scripts on the page cannot read.
"""

import ipaddress
import secrets
import threading
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracker import logs
from tracker.config import get_settings
from tracker.services.people import sessions

DASHBOARD = Path(__file__).resolve().parent / "dashboard.py"
SESSION_PATH = "/_tracker/session"
# A script on another site cannot send this header without the browser asking this server first.
REQUEST_HEADER = "X-Tracker-Session"
_TICKET_SECONDS = 60

_tickets: dict[str, tuple[str, float]] = {}
_tickets_lock = threading.Lock()
# Set when the routes are served (tracker/app.py), so pages know a cookie can be set.
served = False


def issue_ticket(token: str) -> str:
    """A one-time ticket, valid for a minute, that the browser exchanges for the session cookie."""
    ticket = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _tickets_lock:
        for stale in [t for t, (_, until) in _tickets.items() if until < now]:
            del _tickets[stale]
        _tickets[ticket] = (token, now + _TICKET_SECONDS)
    return ticket


def _redeem(ticket: str) -> str | None:
    with _tickets_lock:
        token, until = _tickets.pop(ticket, ("", 0.0))
    return token if token and until >= time.monotonic() else None


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for part in (part.strip() for part in get_settings().trusted_proxies.split(",")):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            if part:
                # Trusting fewer proxies is the safe way to be wrong: their browsers share one address.
                logs.log.warning(f"TRACKER_TRUSTED_PROXIES: '{part[:60]}' is no address or network; left out")
    return networks


def trusted_proxy(address: str | None) -> bool:
    """Whether the address is one of TRACKER_TRUSTED_PROXIES (addresses or networks, comma-separated)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks())


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """The browser's address: the direct peer's, unless the peer is a trusted proxy; then the last
    address in X-Forwarded-For that no trusted proxy added (the ones before it anyone can write)."""
    address = (peer or "").strip() or "unknown"
    if not forwarded_for or not trusted_proxy(address):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        address = hop
        if not trusted_proxy(hop):
            break
    return address


def _secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS, directly or through a trusted proxy."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return trusted_proxy(peer) and request.headers.get("x-forwarded-proto", "").lower() == "https"


async def _session(request: Request) -> Response:
    if request.headers.get(REQUEST_HEADER) != "1":
        return Response("A session is set by the dashboard's own page.", status_code=400)
    response = Response(status_code=204)
    if request.method == "DELETE":
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
        return response
    token = _redeem((await request.body()).decode(errors="replace").strip())
    if token is None:
        return Response("The sign-in ticket has expired; sign in again.", status_code=403)
    response.set_cookie(
        sessions.COOKIE,
        sessions.cookie_value(token),
        max_age=sessions.max_age_seconds(),
        path="/",
        httponly=True,
        # Lax, not Strict: a link to a page opened from mail or chat arrives signed in.
        samesite="lax",
        secure=_secure(request),
    )
    return response


def routes() -> list[Route]:
    global served
    served = True
    return [Route(SESSION_PATH, _session, methods=["POST", "DELETE"])]


def secrets_from_settings() -> dict:
    """Streamlit's secrets for st.login, from the TRACKER_OIDC_* settings: none is kept in a file."""
    settings = get_settings()
    if settings.auth != "oidc":
        return {}
    base = (settings.public_url or "http://localhost:8501").rstrip("/")
    issuer = settings.oidc_issuer.rstrip("/")
    return {
        "auth": {
            "redirect_uri": f"{base}/oauth2callback",
            "cookie_secret": settings.secret_key or secrets.token_urlsafe(32),
            "client_id": settings.oidc_client_id,
            "client_secret": settings.oidc_client_secret,
            "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
        }
    }
