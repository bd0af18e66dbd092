"""The Slack app: Bolt listeners, request parsing, rendering and output safety."""
