"""Where the fetcher may connect, and for how long: the address policy and the source deadline.

Two guarantees live at the socket level, below httpx, because only there are
they exact:

- **Address policy (SSRF).** A host name is resolved once, every address is
  checked, and the socket connects to a checked address itself — so a DNS
  answer that changes between check and connect (rebinding) cannot slip a
  private address in, and every redirect hop, being a new connection, is
  checked the same way. Loopback, private, link-local, multicast, reserved
  and other non-global addresses are refused unless
  `allow_private_networks` is set.
- **Deadline.** Each source gets one deadline (`source_deadline`) for DNS,
  connect, every read and write, and the waits between retries. Every socket
  operation waits at most until that deadline, so a body trickling one byte
  a second fails on time instead of resetting a read timeout forever.

The deadline is per thread (sources are fetched by a thread pool, and a
pooled connection may serve another source later), set with `deadline()`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
from httpcore._backends.sync import SyncStream

from dossier.settings import parse_address_exception

_state = threading.local()


class DeadlineExceeded(Exception):
    """The current source's deadline passed during a network operation."""


class BlockedAddress(Exception):
    """The host resolves only to addresses the policy forbids."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        shown = ", ".join(addresses[:3])
        super().__init__(f"{host} resolves to {shown}")
        self.host = host
        self.addresses = addresses


# -- deadline --------------------------------------------------------------------------


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Run the block under a deadline `seconds` from now (an outer, earlier one wins)."""
    outer = getattr(_state, "deadline", None)
    mine = time.monotonic() + seconds
    _state.deadline = mine if outer is None else min(outer, mine)
    try:
        yield _state.deadline
    finally:
        _state.deadline = outer


def remaining() -> float | None:
    """Seconds left before the current deadline (may be ≤ 0), or None outside one."""
    end = getattr(_state, "deadline", None)
    return None if end is None else end - time.monotonic()


def _clamp(timeout: float | None) -> float | None:
    """`timeout` shortened to the time left; raises once the deadline has passed."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise DeadlineExceeded()
    return left if timeout is None else min(timeout, left)


def _expired() -> bool:
    left = remaining()
    return left is not None and left <= 0.001


# -- address policy --------------------------------------------------------------------


def address_allowed(address: str) -> bool:
    """True for a globally routable unicast address; IPv4-mapped IPv6 is judged as IPv4."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class AddressPolicy:
    """Which addresses may be connected to: public ones, plus those explicitly allowed."""

    def __init__(self, allow_private: bool = False, exceptions: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self._networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]] = []
        for entry in exceptions:
            self._networks.append(parse_address_exception(entry))

    def allows(self, address: str, port: int) -> bool:
        if self.allow_private or address_allowed(address):
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(
            ip in network and (only is None or only == port) for network, only in self._networks
        )


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo bounded by the deadline (it has no timeout of its own)."""
    timeout = _clamp(None)
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    result: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise DeadlineExceeded()
    if failure:
        raise failure[0]
    return result


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read and write waits at most until the source deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, _clamp(timeout))
        except httpcore.ReadTimeout as exc:
            if _expired():
                raise DeadlineExceeded() from exc
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, _clamp(timeout))
        except httpcore.WriteTimeout as exc:
            if _expired():
                raise DeadlineExceeded() from exc
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            tls = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout))
        except httpcore.ConnectTimeout as exc:
            if _expired():
                raise DeadlineExceeded() from exc
            raise
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend with the address policy and the deadline applied."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = _resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        allowed, refused = [], []
        for info in infos:
            address = info[4][0]
            if self.policy.allows(address, port):
                allowed.append(info)
            else:
                refused.append(address)
        if not allowed:
            raise BlockedAddress(host, refused)
        for number, (family, kind, proto, _name, sockaddr) in enumerate(allowed, start=1):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(_clamp(timeout))
                if local_address is not None:
                    sock.bind((local_address, 0))
                sock.connect(sockaddr)
                # Belt and braces: the peer is the address that was checked.
                peer = sock.getpeername()[0]
                if not self.policy.allows(peer, port):
                    raise BlockedAddress(host, [peer])
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except TimeoutError as exc:
                sock.close()
                if _expired():
                    raise DeadlineExceeded() from exc
                raise httpcore.ConnectTimeout(exc) from exc
            except OSError as exc:
                sock.close()
                if number < len(allowed):
                    continue  # try the host's next address
                # Raised inside `except` so the OSError stays the context: httpcore's
                # pool re-raises `from None`, and the fetcher classifies by the context.
                raise httpcore.ConnectError(exc) from exc
            except BaseException:
                sock.close()
                raise
            return _DeadlineStream(SyncStream(sock))
        raise AssertionError("unreachable")  # pragma: no cover
