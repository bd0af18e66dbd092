"""Which addresses a link may be fetched from: the SSRF guard.

A user's link must not become a way into the bot's own network (cloud metadata at 169.254.169.254,
localhost admin ports, the office LAN). Every address a host name resolves to must be public; the
caller then connects to one of those checked addresses, never to the name again, so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot swap it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from bot.errors import SourceError

log = logging.getLogger(__name__)

IPAddress = IPv4Address | IPv6Address

# The well-known NAT64 prefix embeds an IPv4 address in its last 32 bits (RFC 6052); Python counts
# the whole prefix as reserved, which would refuse every site on an IPv6-only network with DNS64.
_NAT64 = ip_network("64:ff9b::/96")
_LOW_32_BITS = 0xFFFFFFFF


def is_public(address: IPAddress) -> bool:
    """Whether an address is globally routable unicast: not loopback, private, link-local, multicast,
    reserved, unspecified, shared (CGNAT), documentation, nor an IPv6 form wrapping one of those."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16) or NAT64 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & _LOW_32_BITS)
    return None


def parse_address(text: str) -> IPAddress:
    """An address from getaddrinfo, which may carry an IPv6 zone (`fe80::1%eth0`)."""
    return ip_address(text.split("%", 1)[0])


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every IPv4 and IPv6 address `host` resolves to, in the resolver's order of preference."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise SourceError(f"could not find the host {host}: check the link.") from exc
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = parse_address(str(sockaddr[0]))
            if address not in addresses:
                addresses.append(address)
    if not addresses:
        raise SourceError(f"could not find the host {host}: check the link.")
    return addresses


async def checked_addresses(url: str, host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for `host`; SourceError if any of them is not public.

    One private address among public ones is refused too: which one a client picks is not ours to know.
    """
    addresses = await resolve(host, port)
    if not allow_private:
        blocked = [a for a in addresses if not is_public(a)]
        if blocked:
            log.info("refused %s: %s resolves to %s", url, host, ", ".join(map(str, blocked)))
            raise SourceError(
                f"refusing to fetch {url}: it resolves to a private address; docdebate reads only public "
                "web pages (download the file and pass it instead)."
            )
    return addresses
