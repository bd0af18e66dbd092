"""Google Docs API JSON to Markdown: structure, not just text.

The four legacy-shape fixtures in tests/data/gdocs/ are real `documents.get` responses (see the README next
to them); the tabs-shaped document there and the small documents built here follow the Docs API v1
discovery schema (`Document.tabs[].documentTab`, `Tab.childTabs`, `ParagraphElement` kinds).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.sources.gdocs import document_to_markdown, gdoc_body
from bot.sources.text import finish, markdown_sections

FIXTURES = Path(__file__).resolve().parent / "data" / "gdocs"
TABS = FIXTURES / "tabs.json"
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def markdown(name: str) -> str:
    return document_to_markdown(fixture(name))


def headings(text: str) -> list[tuple[int, str]]:
    return [(s.level, s.title) for s in markdown_sections(text)]


def block_after(text: str, first_line: str) -> list[str]:
    """The lines of the block (up to the next blank line) that starts with `first_line`."""
    start = text.index(first_line)
    return text[start:].split("\n\n", 1)[0].split("\n")


# ---- building documents by the schema, for the cases the fixtures lack ----


def run(content: str, **style: Any) -> dict[str, Any]:
    return {"textRun": {"content": content, "textStyle": style}}


def para(*elements: dict[str, Any], style: str = "NORMAL_TEXT", **extra: Any) -> dict[str, Any]:
    return {"paragraph": {"elements": list(elements), "paragraphStyle": {"namedStyleType": style}, **extra}}


def item(text: str, list_id: str, level: int = 0) -> dict[str, Any]:
    bullet: dict[str, Any] = {"listId": list_id, "textStyle": {}}
    if level:
        bullet["nestingLevel"] = level
    return para(run(text + "\n"), bullet=bullet)


def numbered(*glyphs: str, start: int = 1) -> dict[str, Any]:
    levels = [
        {"glyphType": glyph, "glyphFormat": f"%{n}.", "startNumber": start} for n, glyph in enumerate(glyphs)
    ]
    return {"listProperties": {"nestingLevels": levels}}


def legacy(*content: dict[str, Any], **maps: Any) -> dict[str, Any]:
    return {"title": "Doc", "body": {"content": list(content)}, **maps}


def tab(title: str, *content: dict[str, Any], children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    built: dict[str, Any] = {
        "tabProperties": {"tabId": "t." + title.lower(), "title": title},
        "documentTab": {"body": {"content": list(content)}},
    }
    if children:
        built["childTabs"] = children
    return built


MONO = {"weightedFontFamily": {"fontFamily": "Courier New", "weight": 400}}


# ---- example.json: Google's "Test mule" ----


def test_example_headings_keep_their_levels() -> None:
    text = markdown("example")
    assert headings(text) == [(1, "Here’s a level one heading"), (2, "And a level two heading")]
    assert "\n# Here’s a level one heading\n" in text
    assert "\n## And a level two heading\n" in text
    assert text.startswith("This is an ordinary paragraph. It is the first paragraph of the document.\n\n")


def test_example_nested_list_mixes_bullets_and_numbers() -> None:
    text = markdown("example")
    assert block_after(text, "- This is a bulleted list item") == [
        "- This is a bulleted list item",
        "- And this is another one, which has a numbered list under it",
        "   1. This is the first numbered list item.",
        "   2. This is the second numbered list item.",
        "   3. This is the third numbered list item, which has **these three words** in bold.",
        "- And a final list item with a bullet",
    ]


def test_example_bold_and_italic_runs() -> None:
    text = markdown("example")
    assert (
        "Formatting within this paragraph includes **these words in bold** and _these words in italics_."
        in text
    )


def test_example_table_cells_in_their_row_and_column() -> None:
    text = markdown("example")
    assert block_after(text, "| Northwest") == [
        "| Northwest cell | Northeast cell |",
        "| --- | --- |",
        "| Southwest cell | Southeast cell |",
    ]


def test_example_sections_from_the_body() -> None:
    document = finish(gdoc_body(fixture("example")), source="gdoc", fallback_title="x", settings=Settings())
    assert document.title == "Test mule"  # the API's title, not the first heading
    assert [(s.title, s.level) for s in document.sections] == [
        ("Here’s a level one heading", 1),
        ("And a level two heading", 2),
    ]
    first, second = document.sections
    assert document.text[first.start :].startswith("# Here’s a level one heading")
    assert "Northwest cell" in document.text[first.start : first.end]
    assert first.start < second.start < second.end == first.end  # the level-2 section nests inside
    assert document.text[second.start : second.end].endswith("follows the level two heading.")


# ---- bullets.json: levels mixing DECIMAL, ALPHA and symbols ----


def test_bullets_numbers_per_level_and_nesting_depth() -> None:
    text = markdown("bullets")
    assert text.split("\n\n") == [
        "\n".join(
            [
                "- Stuff",  # level 0: a symbol glyph
                "   1. Stuff",  # level 1: ALPHA, numbered
                "   2. Stuff",
                "- Stuff",
                "      - Stuff",  # level 2: a symbol glyph, two levels deep
            ]
        ),
        "\n".join(
            [
                "1. Stuff",  # another list: DECIMAL at every level
                "2. Stuff",
                "3. Stuff",
                "      1. Stuff",
                "   1. stuff",  # level 1 had no item yet: it starts at 1
            ]
        ),
    ]


# ---- bullets-interspersed.json: ordinary paragraphs between list items ----


def test_bullets_interspersed_keeps_paragraphs_between_lists() -> None:
    text = markdown("bullets-interspersed")
    assert text.split("\n\n") == [
        "- Bullet",
        "Document stuff",
        "- Bullet\n   - bullet2",
        "More document stuff",
        "- Bullet\n   - bullet2",
        "Even more",
    ]


def test_numbering_continues_across_paragraphs_and_restarts_below_a_shallower_item() -> None:
    doc = legacy(
        item("one", "kix.n"),
        item("one-a", "kix.n", 1),
        item("one-b", "kix.n", 1),
        para(run("An aside between items.\n")),
        item("one-c", "kix.n", 1),
        item("two", "kix.n"),
        para(run("Another aside.\n")),
        item("two-a", "kix.n", 1),
        item("three", "kix.n"),
        lists={"kix.n": numbered("DECIMAL", "ALPHA")},
    )
    assert document_to_markdown(doc).split("\n\n") == [
        "1. one\n   1. one-a\n   2. one-b",
        "An aside between items.",
        "   3. one-c\n2. two",
        "Another aside.",
        "   1. two-a\n3. three",
    ]


def test_list_start_number_and_unknown_list() -> None:
    doc = legacy(
        item("third", "kix.s"),
        item("fourth", "kix.s"),
        item("orphan", "kix.missing"),
        lists={"kix.s": numbered("UPPER_ROMAN", start=3)},
    )
    assert document_to_markdown(doc) == "3. third\n4. fourth\n\n- orphan"


def test_multi_line_list_item_stays_inside_its_item() -> None:
    doc = legacy(item("first line\vsecond line", "kix.n", 1), lists={"kix.n": numbered("DECIMAL", "DECIMAL")})
    assert document_to_markdown(doc) == "   1. first line\n      second line"


# ---- age.json: TITLE, SUBTITLE, links, code ----


def test_age_title_subtitle_and_shifted_headings() -> None:
    text = markdown("age")
    lines = text.split("\n")
    assert lines[0] == "# A simple file encryption tool & format"
    # SUBTITLE: emphasis lines (one per soft line break), not a heading; its italic runs not doubled
    assert lines[1:4] == [
        "",
        "_Filippo Valsorda (@FiloSottile) — Ben Cartwright-Cox (@Benjojo12)_",
        "_Designed at the [Recurse Center](https://recurse.com) during NGW 2019_",
    ]
    found = headings(text)
    assert found[0] == (1, "A simple file encryption tool & format")
    # HEADING_1 moves to ## and HEADING_2 to ### so the TITLE stays on top
    assert (2, "Goals") in found
    assert (2, "Out of scope") in found  # the API split this heading into two runs
    assert (3, "X25519 keys") in found
    assert (3, "ASCII armor") in found
    assert {level for level, _ in found} == {1, 2, 3}
    assert [title for level, title in found if level == 1] == ["A simple file encryption tool & format"]


def test_age_links() -> None:
    links = LINK.findall(markdown("age"))
    assert len(links) == 28
    assert ("Recurse Center", "https://recurse.com") in links
    assert ("github.com/FiloSottile/age", "https://github.com/FiloSottile/age") in links
    assert (
        "Pond-style shared secret PAKE server",
        "https://github.com/agl/pond/blob/675020c2d997636c8cd4c24c83e7bcd872dcd3aa/doc/tech.html#L86",
    ) in links
    assert ("#10", "https://github.com/FiloSottile/age/issues/10") in links
    assert ("discussion", "https://groups.google.com/forum/#!topic/age-dev/l7_QGsojQ5s") in links


def test_age_lists_and_inline_styles() -> None:
    text = markdown("age")
    assert block_after(text, "- A [password-store]")[5:8] == [
        "- ~~Support for AES-GCM in alternative to ChaCha20-Poly1305~~",  # struck out: dropped from the plan
        "- Maybe native support for key wrapping (to implement password-protected keys)",
        "- age-mount(1), a tool to mount encrypted files or archives",
    ]
    # a soft line break inside an item continues the item
    assert "archives\n  (also satisfying the agent use case by key wrapping)" in text
    assert "You can find a **beta** reference implementation at" in text
    assert "which _might_ be an acronym" in text
    assert sum(line.startswith("- ") for line in text.split("\n")) == 19


def test_age_monospace_paragraphs_are_fenced_and_runs_are_code_spans() -> None:
    text = markdown("age")
    # consecutive Consolas paragraphs (and the empty ones between them) make one block
    assert block_after(text, "```\n$ age-keygen > key.txt")[:2] == ["```", "$ age-keygen > key.txt"]
    start = text.index("```\n$ age-keygen > key.txt")
    block = text[start : text.index("\n```", start + 3) + 4]
    assert block.split("\n") == [
        "```",
        "$ age-keygen > key.txt",
        "",
        "$ cat key.txt",
        "# created: 2006-01-02T15:04:05Z07:00",  # a soft line break; not a heading, it is inside a fence
        "# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5",
        "AGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS",
        "",
        '$ echo "_o/" | age -r age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5 -o hello.age',
        "",
        "$ age -decrypt -i key.txt hello.age",
        "_o/",
        "",
        "$ tar cv ~/xxx | age -r github:Benjojo -r github:FiloSottile | nc 192.0.2.0 1234",
        "```",
    ]
    assert "`encode(data)` is canonical base64 from RFC 4648 without padding." in text
    # the `#` lines inside fences never become sections
    assert not any(title.startswith(("created", "public key")) for _, title in headings(text))


def test_age_sections_from_the_body() -> None:
    body = gdoc_body(fixture("age"))
    document = finish(body, source="gdoc", fallback_title="x", settings=Settings())
    assert document.title == "age — A simple file encryption tool & format"
    top = document.sections[0]
    assert (top.title, top.level, top.start, top.end) == (
        "A simple file encryption tool & format",
        1,
        0,
        len(document.text),
    )
    assert [s.title for s in document.sections if s.level == 2] == [
        "Goals",
        "Later",
        "Out of scope",
        "Command line interface",
        "Format",
        "Changes",
    ]
    offset = document.text.index("PEM is a catastrophically malleable format")
    section = document.section_at(offset)
    assert section is not None
    assert (section.title, section.level) == ("ASCII armor", 3)


def text_runs(value: Any) -> list[str]:
    """The content of every text run anywhere in a JSON value."""
    if isinstance(value, list):
        return [text for item in value for text in text_runs(item)]
    if not isinstance(value, dict):
        return []
    if "textRun" in value:
        return [str(value["textRun"].get("content", ""))]
    return [text for item in value.values() for text in text_runs(item)]


@pytest.mark.parametrize("name", ["example", "bullets", "bullets-interspersed", "age"])
def test_fixtures_keep_every_word_of_their_text(name: str) -> None:
    """Nothing is lost: every word of every text run is in the output (markup aside)."""
    doc = fixture(name)
    text = document_to_markdown(doc)
    words = [word for content in text_runs(doc["body"]) for word in re.findall(r"\w+", content)]
    assert words
    assert [word for word in words if word not in text] == []


# ---- the tabs shape: tests/data/gdocs/tabs.json ----


def tabs_doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABS.read_text(encoding="utf-8"))
    return data


def test_tabs_in_order_with_child_tabs_nested_under_their_parent() -> None:
    text = document_to_markdown(tabs_doc())
    assert headings(text) == [
        (1, "Overview"),  # a top-level tab
        (2, "Launch plan"),  # its TITLE, one level below the tab
        (3, "Goals"),  # HEADING_1: below the TITLE
        (4, "Risks"),  # HEADING_2
        (2, "Appendix"),  # the child tab of Overview
        (3, "Glossary"),  # its HEADING_1
        (1, "Decisions"),  # the second top-level tab
        (2, "Decided"),
    ]
    assert "_Draft for review_" in text  # the SUBTITLE


def test_tabs_sections_nest_child_tab_inside_parent() -> None:
    document = finish(gdoc_body(tabs_doc()), source="gdoc", fallback_title="x", settings=Settings())
    assert document.title == "Launch plan"
    by_title = {s.title: s for s in document.sections}
    overview, appendix, decisions = by_title["Overview"], by_title["Appendix"], by_title["Decisions"]
    assert overview.start < appendix.start < appendix.end <= overview.end <= decisions.start
    offset = document.text.index("ARR means annual recurring revenue")
    assert document.section_at(offset) == by_title["Glossary"]


def test_tabs_lists_footnotes_and_objects_are_per_tab() -> None:
    text = document_to_markdown(tabs_doc())
    overview = text[: text.index("\n## Appendix")]
    appendix = text[text.index("\n## Appendix") : text.index("\n# Decisions")]
    # footnotes: referenced in the text, defined at the end of their own tab, labels unique in the doc
    assert "We commit to a three-year contract[^1]." in overview
    assert overview.rstrip().endswith("[^1]: Subject to legal review.")
    assert "ARR means annual recurring revenue[^2]." in appendix
    assert appendix.rstrip().endswith("[^2]: Before discounts.")
    # lists: numbered from the tab's own list definitions, continuing across the paragraph between
    assert block_after(overview, "1. Vendor lock-in") == ["1. Vendor lock-in", "   1. Exit costs"]
    assert block_after(overview, "2. Hiring") == ["2. Hiring", "   1. Ramp-up time"]
    assert "\n\n- Ship in the EU first\n\n" in text


def test_tabs_code_block_markers_removed_and_fenced() -> None:
    text = document_to_markdown(tabs_doc())
    assert block_after(text, "```") == [
        "```",
        "SELECT region, sum(total)",
        "FROM orders",
        "GROUP BY region;",
        "```",
    ]
    assert "\ue907" not in text


def test_tabs_chips_as_text() -> None:
    text = document_to_markdown(tabs_doc())
    assert "Owner: Ada Lovelace — due Mar 3, 2026." in text  # person and date chips
    assert "Pricing lives in [Pricing model](https://docs.google.com/spreadsheets/d/abc123/edit)." in text
    assert "Status: Approved" in text  # a dropdown
    assert "See the Goals section." in text  # a link to a heading is plain text


def test_tabs_images_are_placeholders_without_their_urls() -> None:
    text = document_to_markdown(tabs_doc())
    assert "[image: Figure 1: Architecture diagram]" in text
    assert "Owner: Ada Lovelace — due Mar 3, 2026.\n\n[image: Team photo]" in text  # positioned
    for secret in ("googleusercontent", "SECRETTOKEN", "POSITIONEDSECRET", "example.com/private", "key="):
        assert secret not in text


def test_tabs_table_cell_with_paragraphs_and_a_list() -> None:
    text = document_to_markdown(tabs_doc())
    assert block_after(text, "| **Option**") == [
        "| **Option** | **Cost** |",
        "| --- | --- |",
        "| Build<br>in house | - $1M \\| capex<br>- 6 months |",
    ]


def test_tabs_rule_and_table_of_contents() -> None:
    text = document_to_markdown(tabs_doc())
    assert "\n\n---\n\n" in text
    assert text.count("Goals") == 2  # the heading and the link to it; the table of contents is skipped
    assert text.count("Risks") == 1


def test_single_tab_has_no_tab_heading() -> None:
    doc = {
        "title": "One",
        "tabs": [tab("Tab 1", para(run("Intro\n"), style="HEADING_1"), para(run("Text\n")))],
    }
    assert document_to_markdown(doc) == "# Intro\n\nText"


def test_deep_child_tabs_cap_heading_levels_at_six() -> None:
    deepest = tab("D", para(run("Deep heading\n"), style="HEADING_3"))
    doc = {"tabs": [tab("A", children=[tab("B", children=[tab("C", children=[deepest])])])]}
    assert headings(document_to_markdown(doc)) == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
        (4, "D"),
        (6, "Deep heading"),
    ]


# ---- legacy shape: maps at the top level, and the finer points ----


def test_legacy_footnotes_and_inline_objects_at_top_level() -> None:
    doc = legacy(
        para(
            run("Costs rise"),
            {"footnoteReference": {"footnoteId": "kix.f", "footnoteNumber": "1"}},
            run(" "),
            {"inlineObjectElement": {"inlineObjectId": "kix.i"}},
            run("\n"),
        ),
        footnotes={"kix.f": {"footnoteId": "kix.f", "content": [para(run(" Per the 2025 budget.\n"))]}},
        inlineObjects={
            "kix.i": {
                "inlineObjectProperties": {
                    "embeddedObject": {
                        "description": "Cost chart",
                        "imageProperties": {"contentUri": "https://lh3.googleusercontent.com/secret"},
                    }
                }
            }
        },
    )
    assert document_to_markdown(doc) == "Costs rise[^1] [image: Cost chart]\n\n[^1]: Per the 2025 budget."


def test_heading_map_without_title_and_subtitle_alone() -> None:
    doc = legacy(*(para(run(f"H{n}\n"), style=f"HEADING_{n}") for n in range(1, 7)))
    assert headings(document_to_markdown(doc)) == [(n, f"H{n}") for n in range(1, 7)]
    with_title = legacy(
        para(run("T\n"), style="TITLE"),
        para(run("S\n"), style="SUBTITLE"),
        *(para(run(f"H{n}\n"), style=f"HEADING_{n}") for n in range(1, 7)),
    )
    text = document_to_markdown(with_title)
    assert headings(text) == [(1, "T"), (2, "H1"), (3, "H2"), (4, "H3"), (5, "H4"), (6, "H5"), (6, "H6")]
    assert text.startswith("# T\n\n_S_\n\n## H1")


def test_code_block_markers_in_their_own_paragraphs() -> None:
    doc = legacy(
        para(run("Before\n")),
        para(run("\ue907\n")),
        para(run("x = 1\n")),
        para(run("  y = ```\n")),
        para(run("\ue907\n")),
        para(run("After\n")),
    )
    assert document_to_markdown(doc) == "Before\n\n````\nx = 1\n  y = ```\n````\n\nAfter"


def test_unclosed_code_marker_is_dropped_not_fenced() -> None:
    doc = legacy(para(run("\ue907Not code\n")), para(run("Text\n")))
    assert document_to_markdown(doc) == "Not code\n\nText"


def test_monospace_everywhere_is_house_style_not_code() -> None:
    doc = legacy(*(para(run(f"Paragraph {n}\n", **MONO)) for n in range(4)), para(run("plain\n")))
    assert "```" not in document_to_markdown(doc)
    assert "`" not in document_to_markdown(doc)


def test_emphasis_only_around_non_blank_text() -> None:
    doc = legacy(
        para(
            run("a "),
            run(" bold words ", bold=True),
            run("   ", italic=True),
            run("and "),
            run("both", bold=True, italic=True),
            run(" "),
            run("gone", strikethrough=True, underline=True),
            run("\n"),
        )
    )
    # whitespace stays as it was, outside the markers; a blank run gets none
    assert document_to_markdown(doc) == "a  **bold words**    and _**both**_ ~~gone~~"


def test_links_merge_across_runs_and_internal_links_are_text() -> None:
    url = "https://example.com/a b(c)"
    doc = legacy(
        para(
            run("See "),
            run("the ", link={"url": url}),
            run("spec", link={"url": url}, bold=True),
            run(", "),
            run("this tab", link={"tabId": "t.1"}),
            run(" and "),
            run("that mark", link={"bookmark": {"id": "id.1"}, "bookmarkId": "id.1"}),
            run(".\n"),
        )
    )
    assert (
        document_to_markdown(doc)
        == "See [the **spec**](https://example.com/a%20b%28c%29), this tab and that mark."
    )


def test_private_use_characters_removed_and_soft_breaks_kept() -> None:
    doc = legacy(para(run("one\ue000\uf8ff\vtwo\ue907\n")))
    assert document_to_markdown(doc) == "one\ntwo"


def test_text_that_looks_like_a_heading_is_escaped() -> None:
    doc = legacy(para(run("# not a heading\v```not a fence\n")), para(run("Issue #12 stays\n")))
    text = document_to_markdown(doc)
    assert text == "\\# not a heading\n\\```not a fence\n\nIssue #12 stays"
    assert markdown_sections(text) == []


def test_empty_paragraphs_collapse() -> None:
    doc = legacy(para(run("a\n")), para(run("\n")), para(run("  \n")), para(run("\n")), para(run("b\n")))
    assert document_to_markdown(doc) == "a\n\nb"


def test_suggested_insertions_left_out_and_suggested_deletions_kept() -> None:
    doc = legacy(
        para(
            run("Ship in "),
            {"textRun": {"content": "March", "suggestedDeletionIds": ["suggest.1"], "textStyle": {}}},
            {"textRun": {"content": "April", "suggestedInsertionIds": ["suggest.1"], "textStyle": {}}},
            run(".\n"),
        ),
        para({"textRun": {"content": "A new paragraph.\n", "suggestedInsertionIds": ["suggest.2"]}}),
    )
    assert document_to_markdown(doc) == "Ship in March."


def test_other_elements() -> None:
    doc = legacy(
        {"sectionBreak": {"sectionStyle": {}}},
        para(run("E = "), {"equation": {}}, {"autoText": {"type": "PAGE_NUMBER"}}, run("\n")),
        para({"pageBreak": {}}, run("\n")),
        para(
            {"person": {"personProperties": {"email": "bob@example.com"}}},
            run(" wrote "),
            {"richLink": {"richLinkProperties": {"uri": "https://www.youtube.com/watch?v=x"}}},
            run("\n"),
        ),
    )
    assert document_to_markdown(doc) == (
        "E = [equation]\n\nbob@example.com wrote [https://www.youtube.com/watch?v=x](https://www.youtube.com/watch?v=x)"
    )


def test_ragged_table_is_padded_and_one_cell_table_is_its_text() -> None:
    def cell(text: str) -> dict[str, Any]:
        return {"content": [para(run(text + "\n"))]}

    ragged = {"table": {"rows": 2, "columns": 3, "tableRows": [
        {"tableCells": [cell("a"), cell("b"), cell("c")]},
        {"tableCells": [cell("d")]},
    ]}}  # fmt: skip
    box = {"table": {"rows": 1, "columns": 1, "tableRows": [{"tableCells": [cell("Note: a callout")]}]}}
    assert document_to_markdown(legacy(ragged, box)) == (
        "| a | b | c |\n| --- | --- | --- |\n| d |  |  |\n\nNote: a callout"
    )


def test_a_table_in_a_cell_is_escaped_once() -> None:
    def cell(*content: dict[str, Any]) -> dict[str, Any]:
        return {"content": list(content)}

    inner = {"table": {"tableRows": [{"tableCells": [cell(para(run("a|b\n"))), cell(para(run("c\n")))]}]}}
    outer = {"table": {"tableRows": [
        {"tableCells": [cell(para(run("Head\n"))), cell(para(run("x|y\n")))]},
        {"tableCells": [cell(inner), cell(para(run("z\n")))]},
    ]}}  # fmt: skip
    assert document_to_markdown(legacy(outer)) == "| Head | x\\|y |\n| --- | --- |\n| a\\|b; c | z |"


def test_gdoc_body_title_and_sections_left_to_finish() -> None:
    body = gdoc_body({"title": "  Plan \n", "body": {"content": [para(run("Hello\n"), style="HEADING_1")]}})
    assert (body.text, body.title, body.sections) == ("# Hello", "Plan", None)
    assert gdoc_body({"body": {}}).title is None
