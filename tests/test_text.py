"""Sentences and paragraphs: never broken inside names, abbreviations or quotations."""

from __future__ import annotations

import pytest

from digest.read.text import quote_state, sentence_spans, split_paragraphs, split_sentences


@pytest.mark.parametrize("text, expected", [
    ("Mediation by the U.S. President Donald Trump was denied. India agreed.",
     ["Mediation by the U.S. President Donald Trump was denied.", "India agreed."]),
    ("External Affairs Minister Dr. S Jaishankar tried to defend him. It failed.",
     ["External Affairs Minister Dr. S Jaishankar tried to defend him.", "It failed."]),
    ("He spoke to J D Vance and J. D. Vance. Then he left.", ["He spoke to J D Vance and J. D. Vance.", "Then he left."]),
    ("Chief Minister Datuk Seri Hajiji Noor spoke. Salleh agreed.", ["Chief Minister Datuk Seri Hajiji Noor spoke.", "Salleh agreed."]),
    ('"It ended," he said. "Now we rebuild." Crews left.', ['"It ended," he said.', '"Now we rebuild."', "Crews left."]),
    ("Trade with the U.S. The deal was signed.", ["Trade with the U.S.", "The deal was signed."]),
    ("He lives at No. 10 Downing Street. Fine.", ["He lives at No. 10 Downing Street.", "Fine."]),
    ("Asked again, he said no. Then he left.", ["Asked again, he said no.", "Then he left."]),
    ("It cost $7.3 billion in 2024. Up from 2023.", ["It cost $7.3 billion in 2024.", "Up from 2023."]),
    ("", []),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_sentence_spans_point_into_the_original_text():
    text = "  One here.   Two there!  "
    assert [text[a:b] for a, b in sentence_spans(text)] == ["One here.", "Two there!"]


def test_quote_state_tells_quotes_from_apostrophes():
    assert quote_state("GRS' decision and Pakistan's view.") is None
    assert quote_state("'GRS has ultimately rejected going solo.") == "'"
    assert quote_state("Undoubtedly, they have their reasons,' he said.", "'") is None
    assert quote_state('"How Pakatan manages cooperation is none of our business.') == '"'
    assert quote_state('the trade deal "will result in reduction", but') is None


def test_one_line_body_becomes_newspaper_paragraphs():
    body = (
        "The US and Pakistan have struck a deal that will result in lower tariffs for the South Asian nation, the two sides said. "
        '"We have just concluded a Deal with the Country of Pakistan," Trump wrote. '
        '"We are in the process of choosing the Oil Company." '
        "Trump's post did not provide details. Dar also confirmed the deal. Trump did not mention tariffs. Markets rose."
    )
    assert split_paragraphs(body) == [
        "The US and Pakistan have struck a deal that will result in lower tariffs for the South Asian nation, the two sides said.",
        '"We have just concluded a Deal with the Country of Pakistan," Trump wrote.',
        '"We are in the process of choosing the Oil Company."',
        "Trump's post did not provide details. Dar also confirmed the deal. Trump did not mention tariffs.",
        "Markets rose.",
    ]


def test_no_break_inside_an_open_quotation_unless_it_is_reopened():
    body = (
        "Salleh spoke on Monday. "
        '"We want to win. We are not a two-faced player. We stand firm. We stay. '
        '"Our approach is clear." '
        "GRS and Barisan were partners."
    )
    assert split_paragraphs(body) == [
        "Salleh spoke on Monday.",
        '"We want to win. We are not a two-faced player. We stand firm. We stay.',
        '"Our approach is clear."',
        "GRS and Barisan were partners.",
    ]


def test_single_quoted_paragraph_ends_with_its_attribution():
    body = "He spoke. 'GRS has rejected going solo. They have their reasons,' he said. Salleh noted the ties."
    assert split_paragraphs(body) == ["He spoke.", "'GRS has rejected going solo. They have their reasons,' he said.", "Salleh noted the ties."]


def test_a_quote_that_never_closes_does_not_swallow_the_rest():
    body = '"Unclosed start. ' + " ".join(f"Sentence number {i} is here." for i in range(20))
    paragraphs = split_paragraphs(body)
    assert len(paragraphs) >= 4
    assert " ".join(paragraphs) == " ".join(body.split())


def test_paragraphs_keep_every_word_of_a_long_body():
    body = " ".join(f"Dr. S Jaishankar met U.S. officials in round {i}, Datuk Seri Anwar said." for i in range(300))
    paragraphs = split_paragraphs(body)
    assert " ".join(paragraphs) == body
    assert all(len(p) <= 600 for p in paragraphs)
    assert not any(p.endswith(("Dr.", "U.S.")) for p in paragraphs)
