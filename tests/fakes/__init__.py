"""Loopback fakes of outside services, driven through their real client libraries in tests."""

from .anthropic_fake import FakeAnthropic, FakeError, RequestRecord, default_responder

__all__ = ["FakeAnthropic", "FakeError", "RequestRecord", "default_responder"]
