"""Loopback fakes of outside services, driven through their real client libraries in tests."""
