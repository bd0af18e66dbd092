"""A hostile page and a hostile model against the running bot (`docdebate serve --http`, the Slack and
Anthropic fakes): URLs and bare domains in the title, the headings, the body and every field the model
writes, stray backticks around them, and an error that quotes a redirect target. Through `/debate`, the
App Home, a follow-up and two refusals, no field of any call the bot made to Slack holds a live foreign link
or a mention code did not make (`tests.live_links`, written apart from the bot's own safety code)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.bot_process import SECRET, bot_env, serving
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.slack_fake import FakeSlack
from tests.live_links import Allowed, describe, live_in_text, live_links, mrkdwn_without_verbatim
from tests.pages import serve_pages
from tests.slack_requests import SlackSender

USER = "U123"
CHANNEL, REFUSED, MENTIONED = "CSAFE", "CSAFEREDIRECT", "CSAFEMENTION"
HOSTILE_LINE = (
    "sign in at https://evil.example/login, or evil.example/login, www.evil.example, `evil.example` and "
    "a stray ` backtick before evil.example/x; <!channel> <@U999BOSS> <https://evil.example|here>"
)
PAGE = (
    "<html><head><title>Q3 billing plan: https://evil.example/login</title></head><body><article>"
    "<h1>Q3 billing plan: sign in at https://evil.example/login or evil.example/login `now</h1>"
    "<h2>Rollout, see https://evil.example/rollout and www.evil.example</h2>"
    "<p>We will migrate every customer to the new billing system on March 2 and delete the old ledger.</p>"
    "<p>The finance team will sign the five year contract with Stratus before the pilot ends.</p>"
    "<h2>Billing `at evil.example/login and portal.evil.example</h2>"
    "<p>Customers will be told to re-enter their cards at evil.example/login within a week of the move.</p>"
    "<p>A stray ` backtick and `https://evil.example/x` sit in this sentence, and mail bob@evil.example.</p>"
    "<p>Support will close the old help desk at the end of the quarter and forward every ticket.</p>"
    "</article></body></html>"
)
# Where the redirect goes: a page that is not there, named in the error the requester is told.
MISSING = "/missing/evil.example/login?next=https://evil.example/x"
# Fields of the judge's verdict that are the model's own words (quotes stay verbatim, to be grounded).
WORDS = {
    "headline",
    "decision",
    "why_hard_to_reverse",
    "cost_to_reverse",
    "time_to_reverse",
    "blast_radius",
    "make_it_two_way",
    "assumption",
    "challenge",
    "topic",
    "position",
}


def site() -> AbstractContextManager[str]:
    """The hostile page at /hostile, and /redirect: a 302 to a missing page whose path names a domain."""
    return serve_pages({"/hostile": ("text/html", PAGE)}, redirects={"/redirect": MISSING})


def hostile_model(fake: FakeAnthropic) -> Callable[[dict[str, Any]], object]:
    """A model that obeys the page: every turn and every verdict field it writes carries HOSTILE_LINE."""
    default = fake.default_response

    def poison(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: f"{v} {HOSTILE_LINE}" if k in WORDS else poison(v) for k, v in node.items()}
        if isinstance(node, list):
            return [poison(v) for v in node]
        return node

    def respond(body: dict[str, Any]) -> object:
        if body.get("output_config"):
            verdict = poison(json.loads(default(body)))
            verdict["open_questions"] = [*verdict.get("open_questions", []), HOSTILE_LINE]
            verdict["next_steps"] = [*verdict.get("next_steps", []), HOSTILE_LINE]
            return json.dumps(verdict)
        return f"## Risk at evil.example\n\n**{HOSTILE_LINE}**\n\n[the plan](https://evil.example/p) — fine."

    return respond


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    anthropic: FakeAnthropic
    pages: str

    def sender(self) -> SlackSender:
        return SlackSender(self.url, SECRET, slack=self.slack)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    work = tmp_path_factory.mktemp("safety")
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, site() as pages:
        slack.add_user(USER, "alice@acme.example", name="alice")
        anthropic.responder = hostile_model(anthropic)
        env = bot_env(
            slack,
            anthropic,
            work,
            database_url(work),
            DOCDEBATE_SLACK_UPDATE_INTERVAL_S="0.05",
            DOCDEBATE_QUOTA_USER_RUNNING="10",  # the refusals below may come while the follow-up still runs
        )
        with serving(env, work) as (url, _proc):
            yield Bot(url, slack, anthropic, pages)


def _posts(slack: FakeSlack, channel: str) -> list[Any]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def _text(calls: list[Any]) -> str:
    return json.dumps([c.args for c in calls], ensure_ascii=False)


def _written(slack: FakeSlack, ts: str) -> bool:
    """Whether a persona's message got its final text (not the live "writing…" one)."""
    updates = [c for c in slack.calls_to("chat.update") if c.args.get("ts") == ts]
    return bool(updates) and "writing…" not in _text(updates[-1:])


def test_nothing_the_bot_sends_from_a_hostile_page_and_model_is_live(bot: Bot) -> None:
    hostile, redirect = f"{bot.pages}/hostile", f"{bot.pages}/redirect"
    allowed = Allowed(links={hostile, redirect}, users={USER}, channels={CHANNEL, REFUSED, MENTIONED})
    acks: list[str] = []
    with bot.sender() as sender:
        # A debate of the hostile page, to its verdict and the root's final status.
        acks.append(sender.slash_command(f"<{hostile}> --depth quick", channel_id=CHANNEL, user_id=USER).text)
        root = bot.slack.wait_for(lambda s: _posts(s, CHANNEL)[:1], timeout=30)[0]
        root_ts = root.response["ts"]

        def root_done(s: FakeSlack) -> list[Any]:
            return [
                c
                for c in s.calls_to("chat.update")
                if c.args.get("ts") == root_ts and "one-way doors" in _text([c])
            ]

        bot.slack.wait_for(root_done, timeout=90)
        # A follow-up in its thread: the panel answers again, as hostile as before.
        before = len(_posts(bot.slack, CHANNEL))
        sender.app_mention(
            "<@UBOT> is evil.example/login safe?", channel=CHANNEL, thread_ts=root_ts, user=USER
        )
        bot.slack.wait_for(lambda s: len(_posts(s, CHANNEL)) >= before + 3, timeout=90)
        answers = _posts(bot.slack, CHANNEL)[before : before + 3]  # each persona's message, opened in order
        bot.slack.wait_for(lambda s: all(_written(s, a.response["ts"]) for a in answers), timeout=90)
        # A link that redirects to a missing page: refused to the requester through response_url ...
        acks.append(sender.slash_command(f"<{redirect}>", channel_id=REFUSED, user_id=USER).text)
        bot.slack.wait_for(lambda s: "evil[.]example/login" in _text(s.calls_to("response_url")), timeout=30)
        # ... and, from a mention, as an ephemeral.
        thread = bot.slack.add_message(MENTIONED, f"the plan: <{redirect}>", user="U777")
        sender.app_mention("<@UBOT>", channel=MENTIONED, thread_ts=thread, user=USER)
        bot.slack.wait_for(
            lambda s: "evil[.]example/login" in _text(s.calls_to("chat.postEphemeral")), timeout=30
        )
        # The App Home, which lists the debates with their titles and headlines.
        sender.event({"type": "app_home_opened", "user": USER, "channel": "DHOME", "tab": "home"})
        bot.slack.wait_for(lambda s: s.calls_to("views.publish"), timeout=30)

    calls = bot.slack.calls
    findings = [f"{c.method} {f}" for c in calls for f in live_links(c.args, allowed)]
    findings += [f"ack: {f}" for ack in acks for f in live_in_text(ack, allowed)]
    assert findings == [], describe(findings)
    unverbatim = [f"{c.method} {w}" for c in calls for w in mrkdwn_without_verbatim(c.args)]
    assert unverbatim == [], unverbatim

    # The attack reached every kind of field, defanged: a test that saw no hostile text would prove nothing.
    sent = {m: _text(bot.slack.calls_to(m)) for m in ("chat.postMessage", "chat.update", "views.publish")}
    for method, text in sent.items():
        assert "https[:]//evil[.]example/login" in text and "www[.]evil[.]example" in text, method
    assert re.search(r"verified in _[^_]*evil\[\.\]example[^_]*_", sent["chat.postMessage"]), (
        "a quote's heading"
    )
    assert (
        f"<{hostile}|Q3 billing plan: sign in at https[:]//evil[.]example/login" in sent["chat.postMessage"]
    )
    assert f"<@{USER}>" in sent["chat.postMessage"], "the requester is still mentioned"
    assert "&lt;!channel&gt;" in sent["chat.update"] and "&lt;@U999BOSS&gt;" in sent["views.publish"]
    assert "127[.]0[.]0[.]1" in _text(bot.slack.calls_to("response_url")), "the redirect target, defanged"
    asked = [r for r in bot.anthropic.requests if "is evil.example/login safe?" in json.dumps(r.body)]
    assert len(asked) == 3, "the follow-up went to the whole panel"
