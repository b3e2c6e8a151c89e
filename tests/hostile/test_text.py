"""The two text rules: messages (analytics.safe_text) and stored text on a page (dashboard.text)."""

from __future__ import annotations

import random
import re
import string

import pytest

from analytics.safe_text import hidden_characters, mask_secrets, plain_form, safe_message, visible
from dashboard.text import NO_LINK, shown, shown_error

# ------------------------------------------------------------------ visible


@pytest.mark.parametrize(
    "text,expected",
    [
        ("\ufeffpatient_id", "\\ufeffpatient_id"),  # byte-order mark
        ("P\u200b1", "P\\u200b1"),  # zero-width space
        ("P\u200d1", "P\\u200d1"),  # zero-width joiner
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # terminal colour codes
        ("a\rb\tc\x7f", "a\\rb\\tc\\x7f"),  # carriage return, tab, DEL
        ("no\u00a0break", "no\\xa0break"),  # no-break space
        ("line\u2028sep", "line\\u2028sep"),
        ("tag\U000e0041", "tag\\U000e0041"),  # tag character
        ("plain C:\\path, ünïcödé and 漢字", "plain C:\\path, ünïcödé and 漢字"),
    ],
)
def test_visible_escapes_exactly_the_invisible_characters(text, expected):
    assert visible(text) == expected


def test_visible_can_keep_line_breaks():
    assert visible("a\nb\x1b", keep="\n") == "a\nb\\x1b"
    assert visible("a\nb") == "a\\nb"


def test_hidden_characters_name_invisible_and_look_alike_characters():
    assert hidden_characters("p\u0430tient_id") == [
        "U+0430 CYRILLIC SMALL LETTER A (looks like 'a')"
    ]
    assert hidden_characters("\ufeffid") == ["U+FEFF ZERO WIDTH NO-BREAK SPACE (invisible)"]
    assert hidden_characters("\uff50ain") == [
        "U+FF50 FULLWIDTH LATIN SMALL LETTER P (looks like 'p')"
    ]
    assert hidden_characters("pain") == []
    assert hidden_characters("douleur été") == []  # accented letters are not look-alikes
    assert plain_form("\ufeffp\u0430tient\u200b_id") == "patient_id"


# ------------------------------------------------------------------ secrets

SECRET = "Sup3r-s3cret"


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            f"postgresql+psycopg://ana:{SECRET}@db.example:5432/clinic",
            "postgresql+psycopg://ana:***@db.example:5432/clinic",
        ),
        (
            f"postgresql://ana@db/clinic?password={SECRET}&sslmode=require",
            "postgresql://ana@db/clinic?password=***&sslmode=require",
        ),
        (
            f"postgresql://db/clinic?sslmode=require&user=ana&PASSWORD={SECRET}",
            "postgresql://db/clinic?sslmode=require&user=ana&PASSWORD=***",
        ),
        (f"host=db user=ana password={SECRET} dbname=c", "host=db user=ana password=*** dbname=c"),
        (f"host=db password = '{SECRET} x' port=5", "host=db password = *** port=5"),
        (
            f"'mysql://u:{SECRET}@h/d' is not a database URL",
            "'mysql://u:***@h/d' is not a database URL",
        ),
        (
            f"https://h/x?token={SECRET}&api_key={SECRET};pwd={SECRET}",
            "https://h/x?token=***&api_key=***;pwd=***",
        ),
        (f"postgresql://ana:{SECRET}/with/slash@db/c", "postgresql://ana:***@db/c"),
        ("sqlite:////srv/paindiary/db.sqlite3", "sqlite:////srv/paindiary/db.sqlite3"),
        ("diary.csv line 2: passed 3 sessions", "diary.csv line 2: passed 3 sessions"),
    ],
)
def test_mask_secrets_in_every_url_form(text, expected):
    assert mask_secrets(text) == expected
    assert SECRET not in mask_secrets(text)


def test_safe_message_masks_then_escapes():
    text = f"error: postgresql://u:{SECRET}@h/d\x1b[2J failed\nnext line"
    assert safe_message(text) == "error: postgresql://u:***@h/d\\x1b[2J failed\nnext line"


# ------------------------------------------------------------------ stored text on a page

HOSTILE = [
    "[Session expired, log in again](http://evil.example/login)",
    "![g](http://evil.example/leak.png)",
    "<img src=http://evil.example/x.png>",
    ":red[ALERT: overdose risk] :material/warning: :smile:",
    "$\\frac{a}{b}$ and $$x$$",
    "# heading\n\n- list\n1. item\n> quote\n---",
    "www.evil.example and http://evil.example/auto",
    "**bold** _it_ `code` ~~strike~~ | a | b |",
    "&lt;img src=x&gt; &#60;b&#62;",
    "back\\slash\\[not a link](http://evil.example)",
]


def _unescaped_punctuation(md: str) -> list[str]:
    """ASCII punctuation not made literal by a backslash (CommonMark escapes)."""
    found = []
    i = 0
    while i < len(md):
        if md[i] == "\\" and i + 1 < len(md) and md[i + 1] in string.punctuation:
            i += 2
            continue
        if md[i] in string.punctuation:
            found.append(md[i])
        i += 1
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_has_no_active_character(text):
    md = shown(text)
    assert _unescaped_punctuation(md) == []
    assert "\n" not in md and "\r" not in md  # stays inside its sentence
    # CommonMark's unescaping gives the stored text back (line breaks as spaces)
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md.replace(NO_LINK, "")) == re.sub(
        r"\r\n|[\r\n]", " ", text
    )
    # no autolink can start: every ':', '.' and '@' is split from what precedes it
    assert re.search(r"(?i)https?:|www\.|\w@", md.replace("\\", "")) is None


def test_markdown_rule_holds_for_random_text():
    rng = random.Random(7)
    alphabet = string.printable + "\u200b\u202e\ufeff\u00a0é漢"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        md = shown(text)
        assert _unescaped_punctuation(md) == []
        assert all(ch.isprintable() or ch == NO_LINK for ch in md)


def test_chart_labels_show_plotly_markup_as_text():
    label = shown('<a href="http://evil.example">A</a><br><img src=x> & <b>B</b>', "chart")
    assert "<" not in label and ">" not in label
    assert label == (
        "&lt;a href=&quot;http://evil.example&quot;&gt;A&lt;/a&gt;&lt;br&gt;&lt;img src=x&gt; "
        "&amp; &lt;b&gt;B&lt;/b&gt;"
    )
    assert shown("two\nlines", "chart") == "two lines"


def test_table_cells_keep_text_and_show_invisible_characters():
    assert shown("[a](http://x)\nsecond", "table") == "[a](http://x)\nsecond"
    assert shown("P\u202e1", "table") == "P\\u202e1"


def test_missing_values_show_as_empty_text():
    assert shown(None) == shown(float("nan")) == ""


def test_unknown_place_is_refused_in_scikit_learn_wording():
    with pytest.raises(ValueError, match="The 'where' parameter of shown must be a str among"):
        shown("x", "html")  # type: ignore[arg-type]


def test_error_boxes_mask_secrets_and_escape_markdown():
    from analytics.errors import StoreError

    exc = StoreError(
        f"Cannot open postgresql://u:{SECRET}@h/d?password={SECRET} ![i](http://e/x.png)"
    )
    box = shown_error(exc)
    assert SECRET not in box and _unescaped_punctuation(box) == []
    assert SECRET not in str(exc)  # masked when the error is created


def test_a_secret_at_the_end_of_a_clause_keeps_the_punctuation_that_follows():
    assert mask_secrets(f"db?password={SECRET}: refused.") == "db?password=***: refused."
    assert mask_secrets(f"password={SECRET}.") == "password=***."
