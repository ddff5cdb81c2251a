"""Reading catalog files: what no catalog needs and a worker cannot afford is refused
quickly, with the place named (issue 13)."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from errors.catalog.files import parse_catalog
from errors.catalog.importer import import_catalog_text
from errors.catalog.problems import CatalogInvalid
from errors.catalog.validation import validate_catalog
from tests.conftest import MINIMAL


def problems_of(text: str, name: str = "shop.yaml") -> str:
    with pytest.raises(CatalogInvalid) as caught:
        validate_catalog(parse_catalog(text, name))
    return str(caught.value)


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
        f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
        for n in range(9)
    )
    started = time.perf_counter()
    assert "anchors and aliases" in problems_of(bomb)
    assert time.perf_counter() - started < 1


def test_a_lone_anchor_is_refused_too():
    assert "shop.yaml:3" in problems_of(MINIMAL.replace("  name: Shop", "  name: &n Shop"))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # crashed libyaml's recursive composer
        "{a: " * 5_000 + "1" + "}" * 5_000,
        "- " * 5_000 + "x",  # block nesting costs two bytes a level
    ],
)
def test_deep_nesting_is_refused_at_once(text):
    started = time.perf_counter()
    assert "nested too deeply" in problems_of(text)
    assert time.perf_counter() - started < 1


def test_a_duplicate_key_is_refused_with_its_line():
    text = MINIMAL.replace("  name: Shop\n", "  name: Shop\n  name: Shop two\n")
    message = problems_of(text)
    assert "shop.yaml:4" in message and "'name' appears twice" in message


def test_a_duplicate_key_in_json_is_refused():
    data = json.dumps(yaml.safe_load(MINIMAL))
    text = data.replace('"name": "Shop"', '"name": "Shop", "name": "Other"')
    assert "'name' appears twice" in problems_of(text, "shop.json")


def test_json_with_a_trailing_comma_is_refused_as_json():
    data = json.dumps(yaml.safe_load(MINIMAL), indent=1)
    text = data[:-2] + ",\n}"  # a trailing comma after the last member
    message = problems_of(text, "shop.json")
    assert "not valid JSON" in message and "shop.json:" in message


def test_the_same_text_is_fine_as_yaml_when_named_yaml():
    data = json.dumps(yaml.safe_load(MINIMAL))
    validate_catalog(parse_catalog(data, "shop.json"))
    validate_catalog(parse_catalog(data, "shop.yaml"))


@pytest.mark.parametrize("escape", ["\\0", "\\x00"])
def test_text_a_database_cannot_keep_is_refused(escape):
    text = MINIMAL.replace("title: Not found", f'title: "Not{escape}found"')
    message = problems_of(text)
    assert "errors[0] (NOT_FOUND) > title" in message


@pytest.mark.django_db
def test_a_nul_in_a_catalog_is_a_problem_not_a_500(db):
    text = MINIMAL.replace("summary: The thing is not there", 'summary: "The \\0 thing"')
    with pytest.raises(CatalogInvalid, match="NUL"):
        import_catalog_text(text, "shop.yaml")


def test_the_pointer_pattern_does_not_backtrack():
    text = MINIMAL.replace("code_pointer: /error/code", "code_pointer: '" + "/" * 40 + "~'")
    started = time.perf_counter()
    assert "envelope > code_pointer" in problems_of(text)
    assert time.perf_counter() - started < 1
