"""What writes to Slack: Block Kit messages (`render`), the one path for untrusted text (`safety`), the
Web API boundary (`poster`), live-updated turns (`live`) and the bot's own wording (`wording`)."""
