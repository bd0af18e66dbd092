"""The one Markdown table writer (Word, Google Docs, Google Sheets)."""

from __future__ import annotations

from bot.sources.tables import csv_to_markdown, markdown_table
from bot.sources.text import markdown_body, markdown_sections


def test_the_first_row_is_the_header() -> None:
    assert markdown_table([["Risk", "Owner"], ["Data loss", "Ana"]]) == (
        "| Risk | Owner |\n| --- | --- |\n| Data loss | Ana |"
    )


def test_pipes_are_escaped() -> None:
    assert markdown_table([["a|b", "c"], ["||", "d"]]) == "| a\\|b | c |\n| --- | --- |\n| \\|\\| | d |"


def test_every_kind_of_line_break_in_a_cell_becomes_br() -> None:
    table = markdown_table([["one\ntwo", "three\r\nfour\rfive"], ["six\vseven\fe\u2028ight", "x"]])
    assert table == (
        "| one<br>two | three<br>four<br>five |\n| --- | --- |\n| six<br>seven<br>e<br>ight | x |"
    )
    assert len(markdown_body(table).text.split("\n")) == 3  # normalising keeps each row on its line


def test_ragged_rows_are_padded_to_the_widest() -> None:
    assert markdown_table([["a"], ["b", "c", "d"], [], ["e", "f"]]) == (
        "| a |  |  |\n| --- | --- | --- |\n| b | c | d |\n| e | f |  |"
    )


def test_a_table_without_text_is_nothing() -> None:
    assert markdown_table([]) == ""
    assert markdown_table([[], []]) == ""
    assert markdown_table([["", " "], ["\n"]]) == ""


def test_a_cell_cannot_start_a_heading() -> None:
    assert markdown_sections(markdown_table([["h"], ["x\n# not a heading"]])) == []


def test_csv_is_padded_and_escaped_and_blank_rows_dropped() -> None:
    assert csv_to_markdown('a,b\n1\n,\n\nx|y,"2\n3"\n') == (
        "| a | b |\n| --- | --- |\n| 1 |  |\n| x\\|y | 2<br>3 |"
    )
    assert csv_to_markdown("\n , \n") == ""
