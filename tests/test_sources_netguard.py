"""The SSRF guard: which addresses count as public, and resolving host names to checked addresses."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from bot.errors import SourceError
from bot.sources.netguard import checked_addresses, is_public, parse_address, resolve

NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.0.0.1",  # private
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",  # unspecified
    "0.1.2.3",  # "this network"
    "192.0.0.1",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "198.51.100.7",
    "203.0.113.5",
    "224.0.0.1",  # multicast (Python 3.11 calls it global)
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::1",  # IPv6 loopback
    "::",  # unspecified
    "fe80::1",  # link-local
    "fc00::1",  # unique local
    "fd12:3456::1",
    "fec0::1",  # deprecated site-local (Python 3.11 calls it global)
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "100::1",  # discard
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::7f00:1",  # IPv4-compatible (deprecated) loopback
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "2002:a00:1::1",  # 6to4 wrapping 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::1",  # local-use NAT64 prefix
    "2001::1",  # Teredo
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8: IPv6-only networks with DNS64 still work
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_not_public(text: str) -> None:
    assert not is_public(ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public(text: str) -> None:
    assert is_public(ip_address(text))


def test_parse_address_drops_an_ipv6_zone() -> None:
    assert parse_address("fe80::1%eth0") == ip_address("fe80::1")
    assert parse_address("10.0.0.1") == ip_address("10.0.0.1")


async def test_resolve_localhost() -> None:
    addresses = await resolve("localhost", 80)
    assert addresses
    assert all(a.is_loopback for a in addresses)


async def test_resolve_an_ip_literal_is_that_ip() -> None:
    assert await resolve("::1", 80) == [ip_address("::1")]


async def test_resolve_failure_is_a_source_error() -> None:
    with pytest.raises(
        SourceError, match=r"could not find the host nonexistent\.invalid: check the link"
    ) as info:
        await resolve("nonexistent.invalid", 80)
    assert isinstance(info.value.__cause__, OSError)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "169.254.169.254", "2130706433", "0x7f.1"])
async def test_checked_addresses_refuses_private_hosts(host: str) -> None:
    with pytest.raises(SourceError, match="refusing to fetch http://x/: it resolves to a private address"):
        await checked_addresses("http://x/", host, 80, allow_private=False)


async def test_checked_addresses_allows_private_hosts_when_configured() -> None:
    assert await checked_addresses("http://x/", "127.0.0.1", 80, allow_private=True) == [
        ip_address("127.0.0.1")
    ]


async def test_one_private_address_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def two_answers(host: str, port: int) -> list[object]:
        return [ip_address("93.184.216.34"), ip_address("10.0.0.5")]

    monkeypatch.setattr("bot.sources.netguard.resolve", two_answers)
    with pytest.raises(SourceError, match="resolves to a private address"):
        await checked_addresses("http://mixed.example/", "mixed.example", 80, allow_private=False)


async def test_links_to_other_ports_are_refused_unless_a_setting_allows_them() -> None:
    from bot.config import Settings
    from bot.errors import SourceError
    from bot.sources.fetch import check_url, checked_addresses_for

    public = "https://93.184.216.34:8443/plan"  # an address literal: checked without DNS
    with pytest.raises(
        SourceError, match=r"uses port 8443: docdebate fetches web pages on ports 80, 443 only"
    ):
        await checked_addresses_for(check_url(public), Settings(allow_private_urls=False))
    assert await checked_addresses_for(
        check_url("https://93.184.216.34/plan"), Settings(allow_private_urls=False)
    )
    widened = Settings(allow_private_urls=False, fetch_ports="80,443,8443")
    assert await checked_addresses_for(check_url(public), widened)
    loopback = Settings(allow_private_urls=True)
    assert await checked_addresses_for(check_url("http://127.0.0.1:9999/x"), loopback)
