"""Every retry decision of the bot, one module per service, so each command loads only the client it uses.

| service   | retried (transient)                              | never retried                          | by whom |
|-----------|--------------------------------------------------|----------------------------------------|---------|
| Anthropic | 408, 409, 429, 5xx, 529, connection errors and timeouts, an overload inside a 200 stream | 4xx that cannot succeed, auth, a spend limit or billing hold | tenacity: `bot.retries.model` (the SDK's own retries are off, so every wait is known and shown) |
| Slack     | 429 (Retry-After), 5xx, connection errors        | every `ok: false` error                | slack_sdk's retry handlers: `bot.retries.slack` |
| Google    | 429, 5xx, 403 rate limits, connection errors     | 400, 401, 403, 404                     | tenacity: `bot.retries.google` |

Retry-After is honoured everywhere, capped by `DOCDEBATE_LLM_RETRY_AFTER_CAP_S` for Anthropic and Google
(a debate should rather fail clearly than stall for minutes). Slack's is honoured as given: calling Slack
earlier only earns another 429. Each Anthropic retry is announced (`RetryNotice`) to whoever watches the
call: the terminal view and the persona's Slack message say "Anthropic is rate-limiting: retrying in 8 s
(2 of 6)" instead of sitting still.
"""
